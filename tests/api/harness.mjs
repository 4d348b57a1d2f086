// Test harness for Coffre's API tests: one embedded Coffre server per test file, real HTTP, real tokens.
//
//   const api = useServer();                 // registers before/after hooks in the calling test file
//   test('…', async () => { const { status, body } = await api.gql(token, query, variables); });
//
// The server is the built executable (dotnet src/Silo/bin/Release/net10.0/coffre.dll embedded …) on free loopback
// ports with its own temporary data folder. Tokens come from the same executable's `token` verb, signed with a
// random key handed to both (Coffre:Auth:SigningKey).
import { findBreakingChanges, findDangerousChanges } from 'graphql';
import { spawn, execFile } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { after, before } from 'node:test';
import assert from 'node:assert/strict';

const execFileAsync = promisify(execFile);

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DLL = process.env.COFFRE_DLL ?? join(REPO, 'src', 'Silo', 'bin', 'Release', 'net10.0', 'coffre.dll');
const READY_TIMEOUT_MS = 60_000;

// ------------------------------------------------------------------ identifiers

/** Luhn check digit for a string of digits. */
export function luhnDigit(body) {
  for (let c = 0; c <= 9; c++) {
    if (luhnValid(body + c)) return String(c);
  }
  throw new Error('unreachable');
}

export function luhnValid(digits) {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

const digits = (n) => Array.from({ length: n }, () => randomInt(10)).join('');

/** A valid RPPS: 11 digits, the last a Luhn check digit (starts with 1 like real RPPS numbers). */
export function newRpps() {
  const body = '1' + digits(9);
  return body + luhnDigit(body);
}

/** A valid FINESS: département 75 + 6 digits + Luhn check digit. */
export function newFiness() {
  const body = '75' + digits(6);
  return body + luhnDigit(body);
}

/** A valid NIR: sex digit, 12 more digits, key = 97 − (number mod 97). */
export function newNir() {
  const body = String(1 + randomInt(2)) + digits(2) + String(1 + randomInt(9)).padStart(2, '0') + '75' + digits(6);
  const key = 97 - Number(BigInt(body) % 97n);
  return body + String(key).padStart(2, '0');
}

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/** A well-formed vault id (v- + 20 Crockford base32 characters) that names no vault. */
export function newVaultIdLike() {
  return 'v-' + Array.from({ length: 20 }, () => CROCKFORD[randomInt(32)]).join('');
}

/** Relay global id as the server encodes it: base64url("Type:localId") without padding. */
export function globalId(type, localId) {
  return Buffer.from(`${type}:${localId}`, 'utf8').toString('base64url');
}

export const sha256Hex = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** An HTTP answer as { status, body (parsed JSON, or { raw } when it is not JSON), headers }. */
export async function answerOf(response) {
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = { raw: text };
  }
  return { status: response.status, body, headers: response.headers };
}

// ------------------------------------------------------------------ processes and ports

// Ports for the processes the tests start come from below the kernel's ephemeral range (ip_local_port_range,
// 32768–60999 by default): a port the kernel handed out for listen(0) is one the run's own outgoing connections can
// take before the process binds it ("address already in use"). Each test process walks the range from a random start.
const PORT_RANGE = (() => {
  let low = 32768;
  try {
    low = Number.parseInt(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0], 10) || low;
  } catch { /* not Linux: the default range */ }
  const first = Math.max(1024, low - 10000);
  return { first, count: Math.max(1000, low - first) };
})();
let nextPort = randomInt(PORT_RANGE.count);

function listensFreely(port) {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}

export async function freePort() {
  for (let tries = 0; tries < PORT_RANGE.count; tries++) {
    const port = PORT_RANGE.first + (nextPort++ % PORT_RANGE.count);
    if (await listensFreely(port)) return port;
  }
  throw new Error(`no free loopback port in ${PORT_RANGE.first}–${PORT_RANGE.first + PORT_RANGE.count - 1}`);
}

/** Polls `probe` until it returns a truthy value or `timeoutMs` passes; returns that value or throws `message`. */
export async function waitFor(probe, { timeoutMs = 15_000, intervalMs = 100, message = 'condition not met in time' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${message} (after ${timeoutMs} ms)`);
}

/**
 * Starts one embedded Coffre server. `args` are extra `--Key=value` settings.
 * Returns { baseUrl, dataPath, signingKey, output(), stop() }.
 */
export async function startServer(args = [], { env = {} } = {}) {
  if (!existsSync(DLL)) {
    throw new Error(`${DLL} is missing: run 'dotnet build src/Silo -c Release' first`);
  }
  const [httpPort, siloPort, gatewayPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const dataPath = await mkdtemp(join(tmpdir(), 'coffre-api-'));
  const signingKey = randomBytes(32).toString('base64');
  const baseUrl = `http://127.0.0.1:${httpPort}`;
  const lines = [];
  const child = spawn('dotnet', [DLL, 'embedded',
    '--urls', baseUrl,
    `--Coffre:DataPath=${dataPath}`,
    `--Coffre:Cluster:SiloPort=${siloPort}`,
    `--Coffre:Cluster:GatewayPort=${gatewayPort}`,
    `--Coffre:Auth:SigningKey=${signingKey}`,
    '--Coffre:Dashboard=false',
    '--Logging:LogLevel:Default=Warning',
    '--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information',
    ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DOTNET_NOLOGO: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1', ...env } });
  const keep = (chunk) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.length > 0) lines.push(line);
    }
    if (lines.length > 4000) lines.splice(0, lines.length - 4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  const exit = new Promise((r) => child.on('exit', (code, signal) => { exited = { code, signal }; r(exited); }));
  const output = () => lines.slice(-60).join('\n');
  /** Everything the server printed (its last 4 000 lines). */
  const allOutput = () => lines.join('\n');

  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, 5_000);
    await exit;
    clearTimeout(timer);
    await rm(dataPath, { recursive: true, force: true }).catch(() => {});
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited) {
      throw new Error(`coffre exited (${JSON.stringify(exited)}) before it was ready:\n${output()}`);
    }
    try {
      const response = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) break;
      await response.arrayBuffer();
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`coffre was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { baseUrl, dataPath, signingKey, output, allOutput, stop, child };
}

// ------------------------------------------------------------------ the API client

/** A client bound to one running server. */
export function client(server) {
  const { baseUrl, signingKey, dataPath } = server;

  /**
   * Mints a token with the `token` verb: token('operator', 'op-1'), token('patient', vaultId), token('professional', 'x', { rpps, profession, finess }).
   * An operator token without `operatorRoles` has all roles (the verb's development default); pass e.g. 'support' or 'none'.
   */
  async function token(role, subject, { rpps, profession, finess, hours, operatorRoles } = {}) {
    const args = [DLL, 'token', '--role', role, '--subject', subject];
    if (operatorRoles) args.push('--operator-roles', operatorRoles);
    if (rpps) args.push('--rpps', rpps);
    if (profession) args.push('--profession', profession);
    if (finess) args.push('--finess', finess);
    if (hours) args.push('--hours', String(hours));
    args.push(`--Coffre:DataPath=${dataPath}`, `--Coffre:Auth:SigningKey=${signingKey}`);
    const { stdout } = await execFileAsync('dotnet', args, { env: { ...process.env, DOTNET_NOLOGO: '1' } });
    const jwt = stdout.trim().split('\n').pop();
    assert.match(jwt, /^[\w-]+\.[\w-]+\.[\w-]+$/, `token verb printed no JWT: ${stdout}`);
    return jwt;
  }

  /**
   * A professional known to the directory: registers them (as a directory-admin operator; sector from the
   * habilitation matrix), mints the token, returns { rpps, profession, finess, token }. `register: false` leaves them
   * unknown to the directory (every vault then refuses them).
   */
  async function professional(profession, { rpps = newRpps(), finess, register = true } = {}) {
    if (register) await registerProfessional(rpps, profession);
    return { rpps, profession, finess, token: await token('professional', `pro-${rpps}`, { rpps, profession, finess }) };
  }

  let directoryAdmin = null;
  let sectors = null;
  /** Registers (or updates) a professional in the directory with this profession. */
  async function registerProfessional(rpps, profession, displayName = `Professionnel ${rpps}`) {
    directoryAdmin ??= token('operator', 'op-directory-harness', { operatorRoles: 'directory-admin' });
    const admin = await directoryAdmin;
    sectors ??= gql(null, '{ habilitationMatrix { professions { code sector } } }')
      .then(({ body }) => new Map(body.data.habilitationMatrix.professions.map((p) => [p.code, p.sector])));
    const sector = (await sectors).get(profession) ?? 'HEALTH';
    const { status, body } = await gql(admin, `mutation R($input: RegisterProfessionalInput!) { registerProfessional(input: $input) { professional { rpps } userErrors { code field message } } }`,
      { input: { rpps, displayName, professionCode: profession, sector } });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    assert.deepEqual(body.data.registerProfessional.userErrors, [], JSON.stringify(body.data.registerProfessional.userErrors));
  }

  const auth = (t) => (t ? { authorization: `Bearer ${t}` } : {});

  /** POST /graphql; returns { status, body, headers }. */
  async function gql(t, query, variables, { headers = {}, operationName } = {}) {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...auth(t), ...headers },
      body: JSON.stringify({ query, variables, operationName }),
    });
    return answerOf(response);
  }

  /** Like gql but asserts 200, no errors, and returns data. */
  async function ok(t, query, variables) {
    const { status, body } = await gql(t, query, variables);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.errors, undefined, `unexpected errors: ${JSON.stringify(body.errors)}`);
    return body.data;
  }

  /**
   * POST /vaults/{vaultId}/documents as multipart: a 'metadata' JSON part then a 'file' part.
   * size and sha256 default to the real ones; pass them in metadata to lie.
   */
  async function upload(t, vaultId, metadata, bytes, contentType = 'text/plain') {
    const content = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
    const meta = { size: content.length, sha256: sha256Hex(content), ...metadata };
    const form = new FormData();
    form.append('metadata', new Blob([JSON.stringify(meta)], { type: 'application/json' }), 'metadata.json');
    form.append('file', new Blob([content], { type: contentType }), 'document');
    const response = await fetch(`${baseUrl}/vaults/${encodeURIComponent(vaultId)}/documents`, { method: 'POST', headers: auth(t), body: form });
    return answerOf(response);
  }

  /** GET a downloadPath; returns { status, headers, bytes, body (parsed JSON error when not 200) }. */
  async function download(t, path) {
    const response = await fetch(`${baseUrl}${path}`, { headers: auth(t) });
    const bytes = Buffer.from(await response.arrayBuffer());
    let body = null;
    if (response.status !== 200) {
      try {
        body = JSON.parse(bytes.toString('utf8'));
      } catch {
        body = { raw: bytes.toString('utf8') };
      }
    }
    return { status: response.status, headers: response.headers, bytes, body };
  }

  /** Files stored for a vault: <DataPath>/content/vaults/<vaultId>/ */
  async function storedFiles(vaultId) {
    try {
      return (await readdir(join(dataPath, 'content', 'vaults', vaultId))).sort();
    } catch (e) {
      if (e.code === 'ENOENT') return [];
      throw e;
    }
  }

  /** Files left in the content store's staging folder (<DataPath>/content/.staging), readiness probes aside. */
  async function stagingFiles() {
    try {
      return (await readdir(join(dataPath, 'content', '.staging'))).filter((f) => !f.startsWith('ready-')).sort();
    } catch (e) {
      if (e.code === 'ENOENT') return [];
      throw e;
    }
  }

  return { baseUrl, dataPath, token, professional, registerProfessional, gql, ok, upload, download, storedFiles, stagingFiles, auth };
}

/**
 * Registers one before hook that starts the server for the calling test file (then runs `setup(ctx)`, e.g. to build
 * a scene) and one after hook that stops it. Returns an object whose fields (server, and everything `client()`
 * returns) are filled in by the before hook. One hook, not two: root-level hooks of a file are not guaranteed to
 * wait for one another on every Node version.
 */
export function useServer(args = [], setup = async () => {}, { env } = {}) {
  const ctx = {};
  before(async () => {
    ctx.server = await startServer(args, { env });
    Object.assign(ctx, client(ctx.server));
    await setup(ctx);
  }, { timeout: READY_TIMEOUT_MS + 60_000 });
  after(async () => {
    await ctx.server?.stop();
  });
  return ctx;
}

// ------------------------------------------------------------------ GraphQL operations used by the tests

export const OPEN_VAULT = `mutation OpenVault($input: OpenVaultInput!) {
  openVault(input: $input) { vault { id vaultId status basis } userErrors { code field message } }
}`;

export const GRANT_ACCESS = `mutation GrantAccess($input: GrantAccessInput!) {
  grantAccess(input: $input) { grant { id grantee scope { classCodes typeCodes } treatingPhysician } userErrors { code field message } }
}`;

export const BLOCK = `mutation Block($input: ProfessionalRefInput!) {
  blockProfessional(input: $input) { blockedRpps userErrors { code field message } }
}`;

export const ADD_REPRESENTATIVE = `mutation AddRepresentative($input: AddRepresentativeInput!) {
  addRepresentative(input: $input) { representative { representativeVaultId kind } userErrors { code field message } }
}`;

export const ADD_REFERENT = `mutation AddReferent($input: AddReferentInput!) {
  addReferent(input: $input) { referent { rpps } userErrors { code field message } }
}`;

export const inOneYear = () => new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString();

export const identity = (familyName = 'Martin', givenNames = 'Camille', birthDate = '1984-05-17') => ({ familyName, givenNames, birthDate, sex: 'FEMALE' });

/** The scene's person is a minor (a PARENT represents only a minor): born on this date, recorded as a minor. */
export const MINOR_BIRTH_DATE = `${new Date().getUTCFullYear() - 12}-05-17`;

/** Opens a vault as a social worker (referent) with the person's consent; returns the vault id. */
export async function openVaultAsReferent(api, referentToken, { nir, familyName, givenNames, consentScope = {}, minor = false } = {}) {
  const data = await api.ok(referentToken, OPEN_VAULT, {
    input: {
      identity: identity(familyName, givenNames, minor ? MINOR_BIRTH_DATE : undefined),
      isMinor: minor || undefined,
      nir,
      consent: { method: 'IN_APP', expiresAt: inOneYear(), ...consentScope },
    },
  });
  assert.deepEqual(data.openVault.userErrors, [], JSON.stringify(data.openVault.userErrors));
  assert.equal(data.openVault.vault.status, 'ACTIVE');
  return data.openVault.vault.vaultId;
}

export async function grant(api, ownerToken, vaultId, rpps, extra = {}) {
  const data = await api.ok(ownerToken, GRANT_ACCESS, { input: { vaultId, rpps, ...extra } });
  assert.deepEqual(data.grantAccess.userErrors, [], JSON.stringify(data.grantAccess.userErrors));
  return data.grantAccess.grant.id;
}

export async function block(api, ownerToken, vaultId, rpps) {
  const data = await api.ok(ownerToken, BLOCK, { input: { vaultId, rpps } });
  assert.deepEqual(data.blockProfessional.userErrors, []);
}

/** The court decision a TUTOR or CURATOR needs (tutelle, curatelle). */
export const COURT_DECISION = { court: 'Tribunal judiciaire de Paris, juge des contentieux de la protection', decisionReference: 'RG 24/01234', decisionDate: '2024-03-15' };

export async function addRepresentative(api, operatorToken, vaultId, representativeVaultId, kind = 'PARENT') {
  const decision = kind === 'PARENT' ? {} : COURT_DECISION;
  const data = await api.ok(operatorToken, ADD_REPRESENTATIVE, { input: { vaultId, representativeVaultId, kind, ...decision } });
  assert.deepEqual(data.addRepresentative.userErrors, [], JSON.stringify(data.addRepresentative.userErrors));
}

/** Uploads and asserts 201; returns the response's data (documentId, downloadPath, sha256, …). */
/** Entries of a zip (central directory; stored or deflated), as a Map path → Buffer. */
export function unzip(zip) {
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  assert.ok(end >= 0, 'no end of central directory');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries = new Map();
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, 'bad central directory entry');
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(dataAt, dataAt + compressed);
    entries.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

const REQUEST_EXPORT = `mutation R($input: VaultRefInput!) { requestVaultExport(input: $input) { export { exportId status } userErrors { code field message } } }`;
const LIST_EXPORTS = `query E($id: ID!) { vault(id: $id) { exports { exportId status size sha256 documentCount downloadPath failure } } }`;

/** Requests an export of the vault as `t`, waits until it settles (READY asserted), downloads it: { ready, entries } (path → Buffer). */
export async function exportAndUnzip(api, t, vaultId) {
  const data = await api.ok(t, REQUEST_EXPORT, { input: { vaultId } });
  assert.deepEqual(data.requestVaultExport.userErrors, []);
  const { exportId } = data.requestVaultExport.export;
  let ready;
  await waitFor(async () => {
    ready = (await api.ok(t, LIST_EXPORTS, { id: vaultId })).vault.exports.find((e) => e.exportId === exportId);
    return ready && !['QUEUED', 'RUNNING'].includes(ready.status);
  }, { timeoutMs: 60_000, message: 'the export did not settle' });
  assert.equal(ready.status, 'READY', ready.failure);
  const download = await api.download(t, ready.downloadPath);
  assert.equal(download.status, 200, JSON.stringify(download.body));
  assert.equal(sha256Hex(download.bytes), ready.sha256);
  return { ready, entries: unzip(download.bytes) };
}

export async function deposit(api, t, vaultId, metadata, bytes = `content of ${metadata.title} ${randomBytes(4).toString('hex')}`, contentType = 'text/plain') {
  const { status, body } = await api.upload(t, vaultId, metadata, bytes, contentType);
  assert.equal(status, 201, `upload of ${metadata.title} failed: ${JSON.stringify(body)}`);
  return body.data;
}

// ------------------------------------------------------------------ the scene

/**
 * A whole scene on one vault:
 * - operator;
 * - social worker (SOC-AS, with a FINESS) who opens the vault with the person's consent: the vault's referent;
 * - owner: the person (patient token, subject = vault id);
 * - doctor (10) with a grant on everything (the "grantee");
 * - podiatrist (80) with a grant on everything, whose matrix forbids delivery reports (15508-5);
 * - dentist (40) with a grant on everything, whose matrix forbids advance directives (EXPPAT_3);
 * - blocked doctor (10): granted, then blocked by the owner (a block wins over any basis);
 * - professional without basis: a doctor (10) nobody gave access;
 * - other patient: the owner of an unrelated vault;
 * - representative: the owner of a second vault, made PARENT of the first (whose person is a minor) by the operator;
 * - documents deposited through the upload endpoint (see `docs`).
 */
export async function buildScene(api, { nir } = {}) {
  const operator = { token: await api.token('operator', 'op-coffre-tests') };
  const socialWorker = await api.professional('SOC-AS', { finess: newFiness() });
  const vaultId = await openVaultAsReferent(api, socialWorker.token, { nir, minor: true });
  const owner = { vaultId, token: await api.token('patient', vaultId) };

  const [doctor, podiatrist, dentist, blocked, noBasis] = await Promise.all([
    api.professional('10'), api.professional('80'), api.professional('40'), api.professional('10'), api.professional('10'),
  ]);
  doctor.grantId = await grant(api, owner.token, vaultId, doctor.rpps);
  podiatrist.grantId = await grant(api, owner.token, vaultId, podiatrist.rpps);
  dentist.grantId = await grant(api, owner.token, vaultId, dentist.rpps);
  blocked.grantId = await grant(api, owner.token, vaultId, blocked.rpps);
  await block(api, owner.token, vaultId, blocked.rpps);

  const otherVaultId = await openVaultAsReferent(api, socialWorker.token, { familyName: 'Autre', givenNames: 'Personne' });
  const otherPatient = { vaultId: otherVaultId, token: await api.token('patient', otherVaultId) };

  const parentVaultId = await openVaultAsReferent(api, socialWorker.token, { familyName: 'Martin', givenNames: 'Parent' });
  const representative = { vaultId: parentVaultId, token: await api.token('patient', parentVaultId) };
  await addRepresentative(api, operator.token, vaultId, parentVaultId, 'PARENT');

  const docs = {};
  // A health document the doctor may see (biology report).
  docs.health = await deposit(api, owner.token, vaultId, { title: 'CR biologie', classCode: '10', typeCode: '11502-2' });
  // Masked from professionals (MASQUE_PS).
  docs.masked = await deposit(api, owner.token, vaultId, { title: 'Synthèse masquée', classCode: '10', typeCode: '34133-9', maskedFromProfessionals: true });
  // Private: never shown to professionals.
  docs.private = await deposit(api, owner.token, vaultId, { title: 'Note privée', classCode: '90', typeCode: 'DOCPAT01', private: true });
  // INVISIBLE_REPRESENTANTS_LEGAUX.
  docs.hiddenFromReps = await deposit(api, owner.token, vaultId, { title: 'Lettre de liaison confidentielle', classCode: '10', typeCode: '11490-0', invisibleToRepresentatives: true });
  // Delivery report: podiatrists may not read it.
  docs.delivery = await deposit(api, owner.token, vaultId, { title: "CR d'accouchement", classCode: '10', typeCode: '15508-5' });
  // Advance directives: dentists may not read them.
  docs.directives = await deposit(api, owner.token, vaultId, { title: 'Directives anticipées', classCode: '52', typeCode: 'EXPPAT_3' });
  // A social attestation deposited by the social worker (its author, and a referent).
  docs.social = await deposit(api, socialWorker.token, vaultId, { title: 'Attestation de résidence', classCode: '52', typeCode: 'ATTEST-RESID' }, '%PDF-1.4 attestation', 'application/pdf');

  return { vaultId, operator, socialWorker, owner, doctor, podiatrist, dentist, blocked, noBasis, otherPatient, representative, docs };
}

/** Reads a vault's whole access history as its owner (pages of 200). */
export async function accessHistory(api, ownerToken, vaultId) {
  const events = [];
  let after = null;
  for (let page = 0; page < 100; page++) {
    const data = await api.ok(ownerToken, `query History($id: ID!, $after: String) {
      vault(id: $id) { accessHistory(first: 200, after: $after) {
        edges { cursor node { sequence actorId actorKind actorProfession operation target allowed basis reason count firstAt at } }
        pageInfo { hasNextPage endCursor } totalCount } } }`, { id: vaultId, after });
    const connection = data.vault.accessHistory;
    events.push(...connection.edges.map((e) => e.node));
    if (!connection.pageInfo.hasNextPage) return events;
    after = connection.pageInfo.endCursor;
  }
  throw new Error('access history did not end within 100 pages');
}

/**
 * Every difference between two schemas in either direction (graphql-js' breaking and dangerous changes), as
 * "TYPE: description" lines, leaving out the built-in directives graphql-js adds to a schema built from SDL
 * (specifiedBy, oneOf, extra @deprecated locations): GraphQL.NET advertises only the directives Coffre uses.
 */
export function schemaDifferences(committed, served) {
  return [
    ...findBreakingChanges(committed, served), ...findDangerousChanges(committed, served),
    ...findBreakingChanges(served, committed), ...findDangerousChanges(served, committed),
  ].map((c) => `${c.type}: ${c.description}`)
    .filter((d) => !/^DIRECTIVE_(REMOVED|LOCATION_REMOVED): (specifiedBy|oneOf) was removed\.$|from deprecated\.$/.test(d));
}

// ------------------------------------------------------------------ cluster mode

/** Settings of COFFRE_TEST_POSTGRES ("Host=…;Port=…;Username=…;Password=…") as psql arguments and environment. */
function psqlOf(connectionString) {
  const parts = Object.fromEntries(connectionString.split(';').filter(Boolean).map((kv) => {
    const i = kv.indexOf('=');
    return [kv.slice(0, i).trim().toLowerCase(), kv.slice(i + 1).trim()];
  }));
  return {
    args: ['-h', parts.host ?? '127.0.0.1', '-p', parts.port ?? '5432', '-U', parts.username ?? parts['user id'] ?? 'postgres', '-v', 'ON_ERROR_STOP=1', '-q'],
    env: parts.password ? { PGPASSWORD: parts.password } : {},
    withDatabase: (name) => connectionString.replace(/Database=[^;]*/i, `Database=${name}`),
  };
}

/** Whether the real PostgreSQL and Azurite a cluster needs are configured (test.sh exports them). */
export const clusterServices = () => Boolean(process.env.COFFRE_TEST_POSTGRES && process.env.COFFRE_TEST_BLOB);

/**
 * A real cluster on loopback, as deploy/local/up.sh runs it: a fresh PostgreSQL database (migrated by the `migrate`
 * verb), `silos` silo processes and one gateway (an Orleans client serving GraphQL), on COFFRE_TEST_POSTGRES and
 * COFFRE_TEST_BLOB (Azurite). Returns { silos, gateway, stop }: each node has what `client()` needs.
 */
export async function startCluster({ silos = 3 } = {}) {
  const pg = psqlOf(process.env.COFFRE_TEST_POSTGRES);
  const id = 'c' + randomBytes(6).toString('hex');
  const database = `coffre_api_${id}`;
  await execFileAsync('psql', [...pg.args, '-d', 'postgres', '-c', `CREATE DATABASE ${database}`], { env: { ...process.env, ...pg.env } });
  const signingKey = randomBytes(32).toString('base64');
  const key = () => randomBytes(32).toString('base64');
  const env = {
    ConnectionStrings__Postgres: pg.withDatabase(database),
    ConnectionStrings__Blob: process.env.COFFRE_TEST_BLOB,
    Coffre__BlobContainer: `t-${id}`,
    Coffre__Cluster__ClusterId: id,
    Coffre__Cluster__ServiceId: id,
    Coffre__Auth__SigningKey: signingKey,
    Coffre__Identity__NirKey: key(),
    Coffre__Audit__HeadKey: key(),
    Coffre__Activation__CodeKeys__1: key(),
    Coffre__Activation__DeliveryKeys__1: key(),
    Coffre__Dashboard: 'false',
    Logging__LogLevel__Default: 'Warning',
    DOTNET_NOLOGO: '1',
    DOTNET_CLI_TELEMETRY_OPTOUT: '1',
  };
  await execFileAsync('dotnet', [DLL, 'migrate'], { env: { ...process.env, ...env } });
  const dataPath = await mkdtemp(join(tmpdir(), 'coffre-cluster-'));
  const nodes = [];
  const stopAll = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await rm(dataPath, { recursive: true, force: true }).catch(() => {});
    await execFileAsync('psql', [...pg.args, '-d', 'postgres', '-c', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`], { env: { ...process.env, ...pg.env } }).catch(() => {});
  };
  try {
    const started = [];
    for (let i = 0; i < silos; i++) {
      const [silo, gateway] = [await freePort(), await freePort()];
      started.push(startNode('silo', { ...env, Coffre__Cluster__SiloPort: String(silo), Coffre__Cluster__GatewayPort: String(gateway) }, dataPath, nodes));
      // The first silo creates the membership table's version row: let it come first.
      if (i === 0) await started[0];
    }
    const siloNodes = await Promise.all(started);
    const gateway = await startNode('gateway', env, dataPath, nodes);
    return { silos: siloNodes, gateway, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

async function startNode(role, env, dataPath, nodes) {
  const httpPort = await freePort();
  const baseUrl = `http://127.0.0.1:${httpPort}`;
  const lines = [];
  const child = spawn('dotnet', [DLL, role], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, Urls: baseUrl } });
  const keep = (chunk) => {
    lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
    if (lines.length > 2000) lines.splice(0, lines.length - 2000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  const exit = new Promise((r) => child.on('exit', (code, signal) => { exited = { code, signal }; r(exited); }));
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, 10_000);
    await exit;
    clearTimeout(timer);
  };
  const node = { role, baseUrl, dataPath, signingKey: env.Coffre__Auth__SigningKey, output: () => lines.slice(-40).join('\n'), stop };
  nodes.push(node);
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited) throw new Error(`${role} exited (${JSON.stringify(exited)}) before it was ready:\n${node.output()}`);
    try {
      const response = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return node;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${role} was not ready within 90 s:\n${node.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
