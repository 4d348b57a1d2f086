// Exporting a vault over the API: requestVaultExport, Vault.exports until READY, the zip downloaded with the bearer
// token (SHA-256 and size as listed; entries unzipped with the harness's small reader), refusals; then the FHIR R4 views:
// a DocumentReference, AuditEvent paging, OperationOutcome errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { useServer, openVaultAsReferent, deposit, grant, sha256Hex, waitFor, unzip } from './harness.mjs';

let owner; // { vaultId, token }
let doctor; // granted on everything
let stranger; // a professional with no basis
const docs = [];

const api = useServer([], async (ctx) => {
  const sw = await ctx.professional('SOC-AS');
  const vaultId = await openVaultAsReferent(ctx, sw.token, { familyName: 'Export', givenNames: 'Vault' });
  owner = { vaultId, token: await ctx.token('patient', vaultId) };
  doctor = await ctx.professional('10');
  stranger = await ctx.professional('10');
  await grant(ctx, owner.token, vaultId, doctor.rpps);
  for (const [title, classCode, typeCode] of [['Attestation', '90', 'DOCPAT01'], ['Compte rendu', '10', '11502-2'], ['Note', '90', 'DOCPAT01']]) {
    const bytes = `${title}: ${'x'.repeat(2000)} ${Math.random()}`;
    const stored = await deposit(ctx, owner.token, vaultId, { title, classCode, typeCode }, bytes);
    docs.push({ ...stored, bytes: Buffer.from(bytes, 'utf8') });
  }
});

const REQUEST = `mutation R($input: VaultRefInput!) { requestVaultExport(input: $input) { export { exportId status } userErrors { code field message } } }`;
const EXPORTS = `query E($id: ID!) { vault(id: $id) { exports { exportId status size sha256 documentCount downloadPath createdAt expiresAt failure } } }`;

describe('exporting a vault', () => {
  let ready;

  test('the person requests an export, it becomes READY, and the download matches its SHA-256 and holds every document', async () => {
    const data = await api.ok(owner.token, REQUEST, { input: { vaultId: owner.vaultId } });
    assert.deepEqual(data.requestVaultExport.userErrors, []);
    const { exportId, status } = data.requestVaultExport.export;
    assert.ok(['QUEUED', 'RUNNING', 'READY'].includes(status), status);

    await waitFor(async () => {
      const list = (await api.ok(owner.token, EXPORTS, { id: owner.vaultId })).vault.exports;
      ready = list.find((e) => e.exportId === exportId);
      return ready && !['QUEUED', 'RUNNING'].includes(ready.status);
    }, { timeoutMs: 60_000, message: 'the export did not settle' });
    assert.equal(ready.status, 'READY', ready.failure);
    assert.equal(ready.documentCount, docs.length);
    assert.equal(ready.downloadPath, `/vaults/${owner.vaultId}/exports/${exportId}`);

    const download = await api.download(owner.token, ready.downloadPath);
    assert.equal(download.status, 200, JSON.stringify(download.body));
    assert.equal(download.headers.get('content-type'), 'application/zip');
    assert.equal(download.bytes.length, ready.size);
    assert.equal(sha256Hex(download.bytes), ready.sha256);

    const entries = unzip(download.bytes);
    for (const d of docs) {
      const bytes = entries.get(`documents/${d.documentId}.txt`);
      assert.ok(bytes, `documents/${d.documentId}.txt missing`);
      assert.deepEqual(bytes, d.bytes);
      assert.equal(sha256Hex(bytes), d.sha256);
    }
    const bundle = JSON.parse(entries.get('fhir/bundle.json').toString('utf8'));
    assert.equal(bundle.resourceType, 'Bundle');
    assert.equal(bundle.type, 'collection');
    const resources = bundle.entry.map((e) => e.resource);
    const references = resources.filter((r) => r.resourceType === 'DocumentReference');
    assert.equal(references.length, docs.length);
    for (const d of docs) {
      const attachment = references.find((r) => r.id === d.documentId).content[0].attachment;
      assert.equal(attachment.hash, createHash('sha1').update(d.bytes).digest('base64'));
      assert.equal(attachment.size, d.bytes.length);
    }
    assert.ok(resources.some((r) => r.resourceType === 'Consent'), 'no Consent');
    assert.ok(resources.some((r) => r.resourceType === 'AuditEvent' && r.subtype[0].code === 'export.requested'), 'no AuditEvent for the request');
    const manifest = JSON.parse(entries.get('manifest.json').toString('utf8'));
    for (const m of manifest.entries) assert.equal(sha256Hex(entries.get(m.path)), m.sha256, m.path);
    assert.match(entries.get('index.txt').toString('utf8'), /DOCUMENTS \(3\)/);
  });

  test('others are refused: a professional may neither request nor download, and each refusal says why', async () => {
    const { body } = await api.gql(doctor.token, REQUEST, { input: { vaultId: owner.vaultId } });
    assert.equal(body.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(body));
    assert.match(body.errors[0].message, /Only the person/);
    const download = await api.download(doctor.token, ready.downloadPath);
    assert.equal(download.status, 403);
    assert.equal(download.body.errors[0].extensions.code, 'FORBIDDEN');
    const anonymous = await api.download(null, ready.downloadPath);
    assert.equal(anonymous.status, 401);
  });
});

describe('FHIR R4 views', () => {
  const fhir = async (t, path) => {
    const response = await fetch(`${api.baseUrl}${path}`, { headers: api.auth(t) });
    return { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
  };

  test('a DocumentReference for the owner and a granted doctor; an OperationOutcome for a professional with no basis', async () => {
    const d = docs[1];
    const own = await fhir(owner.token, `/vaults/${owner.vaultId}/fhir/DocumentReference/${d.documentId}`);
    assert.equal(own.status, 200);
    assert.match(own.type, /^application\/fhir\+json/);
    assert.equal(own.body.resourceType, 'DocumentReference');
    assert.equal(own.body.content[0].attachment.url, `/vaults/${owner.vaultId}/documents/${d.documentId}/content`);
    assert.equal((await fhir(doctor.token, `/vaults/${owner.vaultId}/fhir/DocumentReference/${d.documentId}`)).status, 200);
    const refused = await fhir(stranger.token, `/vaults/${owner.vaultId}/fhir/DocumentReference/${d.documentId}`);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.resourceType, 'OperationOutcome');
    assert.equal(refused.body.issue[0].code, 'forbidden');
  });

  test('AuditEvent pages with a next link; _count is bounded; the history is the person\'s', async () => {
    const first = await fhir(owner.token, `/vaults/${owner.vaultId}/fhir/AuditEvent?_count=2`);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.type, 'searchset');
    assert.equal(first.body.entry.length, 2);
    const next = first.body.link.find((l) => l.relation === 'next').url;
    const second = await fhir(owner.token, next);
    assert.equal(second.status, 200);
    const ids = new Set(first.body.entry.map((e) => e.resource.id));
    assert.ok(second.body.entry.every((e) => !ids.has(e.resource.id)), 'pages overlap');
    const tooMany = await fhir(owner.token, `/vaults/${owner.vaultId}/fhir/AuditEvent?_count=101`);
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.issue[0].code, 'invalid');
    assert.match(tooMany.body.issue[0].diagnostics, /_count/);
    assert.equal((await fhir(doctor.token, `/vaults/${owner.vaultId}/fhir/AuditEvent`)).status, 403);
  });
});
