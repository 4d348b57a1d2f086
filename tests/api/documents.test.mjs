// Documents over HTTP: upload (multipart: 'metadata' JSON then 'file'), download, and the rules that keep bad content
// out (SHA-256, size, content type, quota) — each rejection leaves nothing stored, neither in the vault's index nor on
// disk (<DataPath>/content/vaults/<vaultId>/). Then pagination and filters of Vault.documents.
//
// This file's server is started with small limits: 1000 bytes per document, 3000 bytes per vault.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { useServer, openVaultAsReferent, deposit, globalId, sha256Hex } from './harness.mjs';

const MAX_DOCUMENT_BYTES = 1000;
const QUOTA_BYTES = 3000;

let sw;
let vault; // { vaultId, token }: uploads, rejections, quota
let paged; // { vaultId, token }: pagination

const api = useServer([`--Coffre:Vaults:MaxDocumentBytes=${MAX_DOCUMENT_BYTES}`, `--Coffre:Vaults:QuotaBytes=${QUOTA_BYTES}`], async (ctx) => {
  sw = await ctx.professional('SOC-AS');
  const a = await openVaultAsReferent(ctx, sw.token, { familyName: 'Upload', givenNames: 'Vault' });
  const b = await openVaultAsReferent(ctx, sw.token, { familyName: 'Paged', givenNames: 'Vault' });
  vault = { vaultId: a, token: await ctx.token('patient', a) };
  paged = { vaultId: b, token: await ctx.token('patient', b) };
});

const SUMMARY = `query Summary($id: ID!) { vault(id: $id) { documentCount usedBytes quotaBytes documents(first: 100) { totalCount nodes { documentId } } } }`;

async function summary(v = vault) {
  const data = await api.ok(v.token, SUMMARY, { id: v.vaultId });
  return {
    documentCount: data.vault.documentCount,
    usedBytes: data.vault.usedBytes,
    quotaBytes: data.vault.quotaBytes,
    ids: data.vault.documents.nodes.map((n) => n.documentId).sort(),
  };
}

/** Runs `reject` and asserts the vault's documents, bytes and files on disk are exactly as before. */
async function assertNothingStored(reject) {
  const before = await summary();
  const filesBefore = await api.storedFiles(vault.vaultId);
  const result = await reject();
  assert.deepEqual(await summary(), before, 'the vault changed after a rejected upload');
  assert.deepEqual(await api.storedFiles(vault.vaultId), filesBefore, 'a file was left on disk after a rejected upload');
  assert.deepEqual(await api.stagingFiles(), [], 'a temporary file was left in the staging folder after a rejected upload');
  return result;
}

function assertUploadError(result, status, code, field) {
  const where = JSON.stringify(result.body);
  assert.equal(result.status, status, where);
  assert.equal(result.body.errors?.[0]?.extensions?.code, code, where);
  assert.equal(result.body.errors[0].extensions.field, field, where);
  assert.ok(result.body.errors[0].message.length > 0);
  assert.equal(result.body.data, undefined);
}

const BIOLOGY = { title: 'CR biologie', classCode: '10', typeCode: '11502-2' };

describe('upload and download', () => {
  let uploaded;
  const content = randomBytes(600);

  test('upload returns 201 with the document, its SHA-256 and its download path; the file is on disk', async () => {
    const { status, body, headers } = await api.upload(vault.token, vault.vaultId, { title: 'Scan', classCode: '90', typeCode: 'DOCPAT04' }, content, 'application/pdf');
    assert.equal(status, 201, JSON.stringify(body));
    assert.match(headers.get('content-type'), /^application\/json/);
    uploaded = body.data;
    assert.match(uploaded.documentId, /^d-/);
    assert.equal(uploaded.sha256, sha256Hex(content));
    assert.equal(uploaded.size, 600);
    assert.equal(uploaded.contentType, 'application/pdf');
    assert.equal(uploaded.typeCode, 'DOCPAT04');
    assert.equal(uploaded.downloadPath, `/vaults/${vault.vaultId}/documents/${uploaded.documentId}/content`);
    assert.equal(uploaded.id, globalId('Document', `${vault.vaultId}/${uploaded.documentId}`));
    assert.deepEqual(await api.storedFiles(vault.vaultId), [`${uploaded.documentId}.blob`]);
  });

  test('GraphQL shows the same document, and node(id) finds it', async () => {
    const data = await api.ok(vault.token, `query Q($id: ID!, $doc: String!, $node: ID!) {
      vault(id: $id) { documentCount usedBytes document(documentId: $doc) { id documentId sha256 size contentType downloadPath classCode typeCode author { kind id } version } }
      node(id: $node) { id ... on Document { documentId } } }`, { id: vault.vaultId, doc: uploaded.documentId, node: uploaded.id });
    const d = data.vault.document;
    assert.equal(d.sha256, uploaded.sha256);
    assert.equal(d.size, 600);
    assert.equal(d.downloadPath, uploaded.downloadPath);
    assert.equal(d.id, uploaded.id);
    assert.deepEqual(d.author, { kind: 'PERSON', id: vault.vaultId });
    assert.equal(d.version, 1);
    assert.equal(data.vault.documentCount, 1);
    assert.equal(data.vault.usedBytes, 600);
    assert.equal(data.node.documentId, uploaded.documentId);
  });

  test('download streams the same bytes with ETag, Digest and no-store', async () => {
    const r = await api.download(vault.token, uploaded.downloadPath);
    assert.equal(r.status, 200);
    assert.ok(r.bytes.equals(content), 'downloaded bytes differ from the uploaded ones');
    assert.equal(sha256Hex(r.bytes), uploaded.sha256);
    assert.equal(r.headers.get('etag'), `"${uploaded.sha256}"`);
    assert.equal(r.headers.get('digest'), `sha-256=${Buffer.from(uploaded.sha256, 'hex').toString('base64')}`);
    assert.equal(r.headers.get('content-type'), 'application/pdf');
    assert.equal(r.headers.get('content-length'), '600');
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.match(r.headers.get('content-disposition'), new RegExp(`attachment; filename="${uploaded.documentId}"`));
  });

  test('download of an unknown document is 404 NOT_FOUND; of a malformed vault id 404; without a token 401', async () => {
    const missing = await api.download(vault.token, `/vaults/${vault.vaultId}/documents/d-000999-nothere0/content`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.errors[0].extensions.code, 'NOT_FOUND');
    assert.equal(missing.body.errors[0].extensions.field, 'documentId');
    const badVault = await api.download(vault.token, `/vaults/not-a-vault/documents/${uploaded.documentId}/content`);
    assert.equal(badVault.status, 404);
    assert.equal(badVault.body.errors[0].extensions.field, 'vaultId');
    const anonymous = await api.download(null, uploaded.downloadPath);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.errors[0].extensions.code, 'UNAUTHENTICATED');
  });
});

describe('rejected uploads store nothing', () => {
  test('wrong sha256 → 400 VALIDATION on sha256', async () => {
    const r = await assertNothingStored(() => api.upload(vault.token, vault.vaultId, { ...BIOLOGY, sha256: sha256Hex('something else') }, 'the real content'));
    assertUploadError(r, 400, 'VALIDATION', 'sha256');
  });

  test('sha256 that is not 64 hex characters → 400 VALIDATION on sha256', async () => {
    const r = await assertNothingStored(() => api.upload(vault.token, vault.vaultId, { ...BIOLOGY, sha256: 'abc' }, 'content'));
    assertUploadError(r, 400, 'VALIDATION', 'sha256');
  });

  test(`declared size above MaxDocumentBytes (${MAX_DOCUMENT_BYTES}) → 400 VALIDATION on size`, async () => {
    const r = await assertNothingStored(() => api.upload(vault.token, vault.vaultId, BIOLOGY, randomBytes(MAX_DOCUMENT_BYTES + 1)));
    assertUploadError(r, 400, 'VALIDATION', 'size');
  });

  test('more bytes than declared → 413 VALIDATION on size', async () => {
    const bytes = randomBytes(400);
    const r = await assertNothingStored(() => api.upload(vault.token, vault.vaultId, { ...BIOLOGY, size: 200, sha256: sha256Hex(bytes.subarray(0, 200)) }, bytes));
    assertUploadError(r, 413, 'VALIDATION', 'size');
  });

  test('fewer bytes than declared → 400 VALIDATION on size', async () => {
    const bytes = randomBytes(100);
    const r = await assertNothingStored(() => api.upload(vault.token, vault.vaultId, { ...BIOLOGY, size: 200 }, bytes));
    assertUploadError(r, 400, 'VALIDATION', 'size');
  });

  test('forbidden content type → 400 VALIDATION on contentType', async () => {
    const r = await assertNothingStored(() => api.upload(vault.token, vault.vaultId, BIOLOGY, 'PK\u0003\u0004', 'application/zip'));
    assertUploadError(r, 400, 'VALIDATION', 'contentType');
    const exe = await assertNothingStored(() => api.upload(vault.token, vault.vaultId, BIOLOGY, 'MZ', 'application/x-msdownload'));
    assertUploadError(exe, 400, 'VALIDATION', 'contentType');
  });

  test('unknown typeCode and a classCode the type does not allow → 400 VALIDATION on the field', async () => {
    const type = await assertNothingStored(() => api.upload(vault.token, vault.vaultId, { ...BIOLOGY, typeCode: 'NOPE-1' }, 'x'));
    assertUploadError(type, 400, 'VALIDATION', 'typeCode');
    const klass = await assertNothingStored(() => api.upload(vault.token, vault.vaultId, { ...BIOLOGY, classCode: '60' }, 'x'));
    assertUploadError(klass, 400, 'VALIDATION', 'classCode');
    const title = await assertNothingStored(() => api.upload(vault.token, vault.vaultId, { ...BIOLOGY, title: '' }, 'x'));
    assertUploadError(title, 400, 'VALIDATION', 'title');
  });

  test('a malformed request → 415 (not multipart), 400 on metadata or file', async () => {
    const url = `${api.baseUrl}/vaults/${vault.vaultId}/documents`;
    const notMultipart = await assertNothingStored(async () => {
      const r = await fetch(url, { method: 'POST', headers: { ...api.auth(vault.token), 'content-type': 'application/json' }, body: '{}' });
      return { status: r.status, body: await r.json() };
    });
    assertUploadError(notMultipart, 415, 'VALIDATION', 'body');

    const fileFirst = await assertNothingStored(async () => {
      const form = new FormData();
      form.append('file', new Blob(['x'], { type: 'text/plain' }), 'a.txt');
      const r = await fetch(url, { method: 'POST', headers: api.auth(vault.token), body: form });
      return { status: r.status, body: await r.json() };
    });
    assertUploadError(fileFirst, 400, 'VALIDATION', 'metadata');

    const noFile = await assertNothingStored(async () => {
      const form = new FormData();
      form.append('metadata', JSON.stringify({ ...BIOLOGY, size: 1, sha256: sha256Hex('x') }));
      const r = await fetch(url, { method: 'POST', headers: api.auth(vault.token), body: form });
      return { status: r.status, body: await r.json() };
    });
    assertUploadError(noFile, 400, 'VALIDATION', 'file');

    const badJson = await assertNothingStored(async () => {
      const form = new FormData();
      form.append('metadata', '{ not json');
      form.append('file', new Blob(['x'], { type: 'text/plain' }), 'a.txt');
      const r = await fetch(url, { method: 'POST', headers: api.auth(vault.token), body: form });
      return { status: r.status, body: await r.json() };
    });
    assertUploadError(badJson, 400, 'VALIDATION', 'metadata');
  });
});

describe('quota', () => {
  test(`the vault's quota (${QUOTA_BYTES} bytes) is enforced: QUOTA_EXCEEDED on size, nothing stored; deleting frees space`, async () => {
    const start = await summary();
    assert.equal(start.quotaBytes, QUOTA_BYTES);
    assert.equal(start.usedBytes, 600, 'the upload test left 600 bytes');
    // 600 + 1000 + 1000 = 2600 used: 400 left.
    const a = await deposit(api, vault.token, vault.vaultId, BIOLOGY, randomBytes(1000));
    await deposit(api, vault.token, vault.vaultId, BIOLOGY, randomBytes(1000));
    assert.equal((await summary()).usedBytes, 2600);

    const over = await assertNothingStored(() => api.upload(vault.token, vault.vaultId, BIOLOGY, randomBytes(401)));
    assertUploadError(over, 413, 'QUOTA_EXCEEDED', 'size');

    await deposit(api, vault.token, vault.vaultId, BIOLOGY, randomBytes(400));
    const full = await summary();
    assert.equal(full.usedBytes, QUOTA_BYTES);
    const one = await assertNothingStored(() => api.upload(vault.token, vault.vaultId, BIOLOGY, 'x'));
    assertUploadError(one, 413, 'QUOTA_EXCEEDED', 'size');

    // Deleting a document frees its bytes and its file.
    const deleted = await api.ok(vault.token, `mutation D($input: DocumentRefInput!) { deleteDocument(input: $input) { deletedDocumentId vault { usedBytes documentCount } userErrors { code } } }`,
      { input: { vaultId: vault.vaultId, documentId: a.documentId } });
    assert.deepEqual(deleted.deleteDocument.userErrors, []);
    assert.equal(deleted.deleteDocument.vault.usedBytes, QUOTA_BYTES - 1000);
    assert.ok(!(await api.storedFiles(vault.vaultId)).includes(`${a.documentId}.blob`), 'the deleted document\'s file is still on disk');
    const gone = await api.download(vault.token, a.downloadPath);
    assert.equal(gone.status, 404);
    await deposit(api, vault.token, vault.vaultId, BIOLOGY, randomBytes(1000));
    assert.equal((await summary()).usedBytes, QUOTA_BYTES);
  });

  test('the files on disk are exactly the accepted documents', async () => {
    const s = await summary();
    assert.equal(s.documentCount, s.ids.length);
    assert.deepEqual(await api.storedFiles(vault.vaultId), s.ids.map((id) => `${id}.blob`).sort());
  });
});

describe('pagination and filters of Vault.documents', () => {
  // Deposited oldest first; lists are newest first.
  const specs = [
    { title: 'Résidence', classCode: '52', typeCode: 'ATTEST-RESID' },
    { title: 'Synthèse 1', classCode: '90', typeCode: 'DOCPAT01' },
    { title: 'Biologie 1', classCode: '10', typeCode: '11502-2' },
    { title: 'Hébergement', classCode: '52', typeCode: 'ATTEST-HEBGT' },
    { title: 'Synthèse 2', classCode: '90', typeCode: 'DOCPAT01' },
    { title: 'Biologie 2', classCode: '10', typeCode: '11502-2' },
    { title: 'Droits AM', classCode: '52', typeCode: 'ATTEST-DROITS-AM' },
  ];
  let ids = [];

  const PAGE = `query Page($id: ID!, $first: Int, $after: String, $classCodes: [String!], $typeCodes: [String!]) {
    vault(id: $id) { documents(first: $first, after: $after, classCodes: $classCodes, typeCodes: $typeCodes) {
      totalCount edges { cursor node { documentId title classCode typeCode } } nodes { documentId } pageInfo { hasNextPage endCursor } } } }`;

  const page = async (variables) => (await api.ok(paged.token, PAGE, { id: paged.vaultId, ...variables })).vault.documents;

  test('deposit seven documents', async () => {
    for (const spec of specs) {
      ids.push((await deposit(api, paged.token, paged.vaultId, spec, `${spec.title} ${randomBytes(8).toString('hex')}`)).documentId);
    }
    ids = ids.reverse(); // newest first
    assert.equal(ids.length, 7);
  });

  test('first/after walks every document once, newest first, with pageInfo and totalCount', async () => {
    const seen = [];
    let after = null;
    const pages = [];
    for (let i = 0; i < 10; i++) {
      const p = await page({ first: 3, after });
      assert.equal(p.totalCount, 7);
      assert.ok(p.edges.length <= 3);
      assert.deepEqual(p.nodes.map((n) => n.documentId), p.edges.map((e) => e.node.documentId));
      assert.equal(p.pageInfo.endCursor, p.edges.at(-1)?.cursor ?? null);
      seen.push(...p.edges.map((e) => e.node.documentId));
      pages.push(p.edges.length);
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor;
    }
    assert.deepEqual(pages, [3, 3, 1]);
    assert.deepEqual(seen, ids);
  });

  test('a cursor from the middle resumes right after it', async () => {
    const first = await page({ first: 7 });
    const resumed = await page({ first: 2, after: first.edges[3].cursor });
    assert.deepEqual(resumed.edges.map((e) => e.node.documentId), ids.slice(4, 6));
    assert.equal(resumed.pageInfo.hasNextPage, true);
  });

  test('classCodes and typeCodes filter, alone and together, and totalCount follows the filter', async () => {
    const byClass = await page({ classCodes: ['52'] });
    assert.equal(byClass.totalCount, 3);
    assert.ok(byClass.edges.every((e) => e.node.classCode === '52'));
    const byType = await page({ typeCodes: ['DOCPAT01'] });
    assert.deepEqual(byType.edges.map((e) => e.node.title), ['Synthèse 2', 'Synthèse 1']);
    const twoClasses = await page({ classCodes: ['10', '90'] });
    assert.equal(twoClasses.totalCount, 4);
    const both = await page({ classCodes: ['52'], typeCodes: ['ATTEST-RESID', 'DOCPAT01'] });
    assert.deepEqual(both.edges.map((e) => e.node.typeCode), ['ATTEST-RESID']);
    const none = await page({ typeCodes: ['15508-5'] });
    assert.equal(none.totalCount, 0);
    assert.deepEqual(none.edges, []);
    assert.deepEqual(none.pageInfo, { hasNextPage: false, endCursor: null });
    // Pagination within a filter.
    const filteredFirst = await page({ classCodes: ['52'], first: 2 });
    assert.equal(filteredFirst.pageInfo.hasNextPage, true);
    const filteredRest = await page({ classCodes: ['52'], first: 2, after: filteredFirst.pageInfo.endCursor });
    assert.equal(filteredRest.edges.length, 1);
    assert.equal(filteredRest.pageInfo.hasNextPage, false);
  });

  test('a bad cursor or page size is a VALIDATION error naming the argument', async () => {
    for (const [variables, field] of [[{ after: 'bm90LWEtY3Vyc29y' }, 'after'], [{ first: 0 }, 'first'], [{ first: 101 }, 'first']]) {
      const { status, body } = await api.gql(paged.token, PAGE, { id: paged.vaultId, ...variables });
      assert.equal(status, 200);
      assert.equal(body.errors?.[0]?.extensions?.code, 'VALIDATION', JSON.stringify(body));
      assert.equal(body.errors[0].extensions.field, field);
      assert.equal(body.data.vault, null);
    }
  });
});

describe('the guide\'s curl commands', () => {
  // The same shell lines as docs/graphql-guide.md (upload as the social worker, download as the person).
  const UPLOAD = `set -eu
cd "$WORK"
printf '%%PDF-1.4 attestation de résidence' > attestation.pdf
SHA=$(sha256sum attestation.pdf | cut -d' ' -f1)
SIZE=$(stat -c %s attestation.pdf)
printf '{"title":"Attestation de résidence","classCode":"52","typeCode":"ATTEST-RESID","size":%s,"sha256":"%s"}' "$SIZE" "$SHA" > metadata.json
curl -s -X POST "$COFFRE/vaults/$VAULT/documents" \\
  -H "authorization: Bearer $TOKEN" \\
  -F "metadata=<metadata.json;type=application/json" \\
  -F "file=@attestation.pdf;type=application/pdf"
`;
  const DOWNLOAD = `set -eu
cd "$WORK"
curl -s -f -D headers.txt -o downloaded.pdf -H "authorization: Bearer $TOKEN" "$COFFRE$DOWNLOAD_PATH"
sha256sum downloaded.pdf | cut -d' ' -f1
`;

  test('upload with curl -F (metadata then file) and download with curl give back the same bytes', async (t) => {
    const { execFile } = await import('node:child_process');
    const { mkdtemp, readFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const run = (script, env) => new Promise((resolve, reject) => execFile('bash', ['-c', script], { env: { ...process.env, ...env } },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout))));
    try {
      await run('command -v curl && command -v sha256sum');
    } catch {
      t.skip('curl or sha256sum is not installed');
      return;
    }
    const work = await mkdtemp(join(tmpdir(), 'coffre-curl-'));
    try {
      const out = await run(UPLOAD, { WORK: work, COFFRE: api.baseUrl, VAULT: paged.vaultId, TOKEN: sw.token });
      const created = JSON.parse(out).data;
      assert.equal(created.typeCode, 'ATTEST-RESID');
      assert.equal(created.contentType, 'application/pdf');
      const sha = (await run(DOWNLOAD, { WORK: work, COFFRE: api.baseUrl, TOKEN: paged.token, DOWNLOAD_PATH: created.downloadPath })).trim();
      assert.equal(sha, created.sha256);
      assert.equal(sha, sha256Hex(await readFile(join(work, 'attestation.pdf'))));
      assert.match(await readFile(join(work, 'headers.txt'), 'utf8'), new RegExp(`etag: "${created.sha256}"`, 'i'));
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
