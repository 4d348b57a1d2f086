// The feed benchmark's driver: against a running `coffre silo` (URL in COFFRE_URL, tokens minted with the silo's
// signing key by `coffre token`), registers a hospital (category 355) and a social worker, opens VAULTS vaults with a
// NIR each, then feeds DOCUMENTS small PDFs (SIZE bytes) by NIR in requests of BATCH documents, CONCURRENCY requests
// at a time, and writes the rate (documents/s end to end: identity, vault check, Blob write, vault index, audit,
// notification) to OUT as JSON. Node's built-in fetch only; no timing is asserted.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const env = (name, fallback) => process.env[name] ?? fallback ?? (() => { throw new Error(`${name} is required`); })();
const URL_ = env('COFFRE_URL');
const DLL = env('COFFRE_DLL');
const SIGNING_KEY = env('COFFRE_SIGNING_KEY');
const VAULTS = Number(env('VAULTS', '200'));
const DOCUMENTS = Number(env('DOCUMENTS', '5000'));
const SIZE = Number(env('SIZE', String(20 * 1024)));
const BATCH = Number(env('BATCH', '50'));
const CONCURRENCY = Number(env('CONCURRENCY', '4'));
const OUT = env('OUT');

const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const digits = (n) => Array.from({ length: n }, () => randomInt(10)).join('');
function luhn(body) {
  for (let c = 0; c <= 9; c++) {
    const s = body + c;
    let sum = 0; let dbl = false;
    for (let i = s.length - 1; i >= 0; i--) { let d = s.charCodeAt(i) - 48; if (dbl) { d *= 2; if (d > 9) d -= 9; } sum += d; dbl = !dbl; }
    if (sum % 10 === 0) return s;
  }
  throw new Error('unreachable');
}
const newNir = () => { const body = String(1 + randomInt(2)) + digits(2) + String(1 + randomInt(9)).padStart(2, '0') + '75' + digits(6); return body + String(97 - Number(BigInt(body) % 97n)).padStart(2, '0'); };
const token = (...args) => execFileSync('dotnet', [DLL, 'token', ...args, `--Coffre:Auth:SigningKey=${SIGNING_KEY}`], { encoding: 'utf8' }).trim().split('\n').pop();

async function gql(t, query, variables) {
  const r = await fetch(`${URL_}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t}` }, body: JSON.stringify({ query, variables }) });
  const body = await r.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  const payload = Object.values(body.data)[0];
  if (payload?.userErrors?.length) throw new Error(JSON.stringify(payload.userErrors));
  return body.data;
}

const finess = luhn('75' + digits(6));
const socialRpps = luhn('1' + digits(9));
const operator = token('--role', 'operator', '--subject', 'op-bench');
await gql(operator, `mutation($i: RegisterEstablishmentInput!) { registerEstablishment(input: $i) { userErrors { code field message } } }`,
  { i: { finess, name: 'Centre hospitalier de benchmark', kind: 'LEGAL_ENTITY', categoryCode: '355', sector: 'HEALTH' } });
await gql(operator, `mutation($i: RegisterProfessionalInput!) { registerProfessional(input: $i) { userErrors { code field message } } }`,
  { i: { rpps: socialRpps, displayName: 'Assistante sociale', professionCode: 'SOC-AS', sector: 'SOCIAL' } });
const social = token('--role', 'professional', '--subject', 'pro-bench', '--rpps', socialRpps);
const hospital = token('--role', 'establishment', '--subject', 'dpi-bench', '--finess', finess);

const nirs = [];
for (let i = 0; i < VAULTS; i++) {
  const nir = newNir();
  await gql(social, `mutation($i: OpenVaultInput!) { openVault(input: $i) { vault { vaultId } userErrors { code field message } } }`, {
    i: { nir, identity: { familyName: 'Bench', givenNames: `P${i}`, birthDate: '1980-01-01', sex: 'FEMALE' },
      consent: { method: 'IN_APP', expiresAt: new Date(Date.now() + 3e10).toISOString() } },
  });
  nirs.push(nir);
}

const documents = Array.from({ length: DOCUMENTS + BATCH }, (_, i) => {
  const content = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(SIZE - 9)]);
  return { externalId: `BENCH-${i}`, nir: nirs[i % nirs.length], title: 'CR hospitalier', classCode: '10', typeCode: '34112-3', content };
});

async function send(batch) {
  const form = new FormData();
  const items = batch.map(({ content, ...d }, i) => ({ ...d, part: `d${i}`, size: content.length, sha256: sha256(content) }));
  form.append('manifest', new Blob([JSON.stringify({ items })], { type: 'application/json' }));
  batch.forEach((d, i) => form.append(`d${i}`, new Blob([d.content], { type: 'application/pdf' }), `d${i}.pdf`));
  for (;;) {
    const r = await fetch(`${URL_}/feeds/documents`, { method: 'POST', headers: { authorization: `Bearer ${hospital}` }, body: form });
    const body = await r.json();
    if (r.status === 429) { await new Promise((res) => setTimeout(res, 1000 * Number(r.headers.get('retry-after') ?? 1))); continue; }
    if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(body)}`);
    return body.data;
  }
}

// Warm-up: one request (activations, connection pools), not counted.
await send(documents.slice(DOCUMENTS));
const batches = [];
for (let i = 0; i < DOCUMENTS; i += BATCH) batches.push(documents.slice(i, Math.min(i + BATCH, DOCUMENTS)));
let next = 0; let accepted = 0; let other = 0; const latencies = [];
const started = process.hrtime.bigint();
await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
  while (next < batches.length) {
    const b = batches[next++];
    const t0 = process.hrtime.bigint();
    const data = await send(b);
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    accepted += data.accepted; other += data.duplicate + data.refused;
  }
}));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
latencies.sort((a, b) => a - b);
const result = {
  documents: DOCUMENTS, vaults: VAULTS, size: SIZE, batch: BATCH, concurrency: CONCURRENCY, seconds, accepted, notAccepted: other,
  documentsPerSecond: accepted / seconds, requestMs: { p50: latencies[Math.floor(latencies.length * 0.5)], p99: latencies[Math.floor(latencies.length * 0.99)] },
};
writeFileSync(OUT, JSON.stringify(result, null, 2));
console.log(JSON.stringify(result));
if (accepted !== DOCUMENTS) process.exit(1);
