// Share links over real HTTP: the person shares one document with someone outside Coffre (a link and a separate code),
// the recipient opens it with the code and downloads the document through the verified download path (SHA-256 checked
// here too), every refusal gets one answer (404 SHARE_LINK_UNAVAILABLE), another document of the vault is unreachable,
// revocation stops the next opening, and the person's access history holds every opening and download.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, openVaultAsReferent, deposit, accessHistory, newFiness, sha256Hex, answerOf } from './harness.mjs';

const api = useServer();

const CREATE = `mutation Create($input: CreateShareLinkInput!) {
  createShareLink(input: $input) {
    shareLink { id status documentIds documentCount openings maxOpenings expiresAt label }
    url code userErrors { code field message } } }`;
const REVOKE = `mutation Revoke($input: RevokeShareLinkInput!) {
  revokeShareLink(input: $input) { shareLink { id status revokedAt } userErrors { code field message } } }`;
const LINKS = `query Links($id: ID!) { vault(id: $id) { shareLinks(first: 50) {
  edges { cursor node { id status openings maxOpenings documentCount lockedAt revokedAt } } pageInfo { hasNextPage } totalCount } } }`;

let scene;

async function setup() {
  const socialWorker = await api.professional('SOC-AS', { finess: newFiness() });
  const vaultId = await openVaultAsReferent(api, socialWorker.token, { familyName: 'Durand', givenNames: 'Louise' });
  const owner = { vaultId, token: await api.token('patient', vaultId) };
  const content = `%PDF-1.4 attestation de droits ${Date.now()}`;
  const shared = await deposit(api, owner.token, vaultId, { title: 'Attestation de droits', classCode: '52', typeCode: 'ATTEST-DROITS-AM' }, content, 'application/pdf');
  const other = await deposit(api, owner.token, vaultId, { title: 'CR biologie', classCode: '10', typeCode: '11502-2' });
  return { socialWorker, owner, vaultId, shared, other, content };
}

const open = (linkId, code, { form = false } = {}) => fetch(`${api.baseUrl}/share/${linkId}/open`, {
  method: 'POST',
  headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
  body: form ? new URLSearchParams({ code }).toString() : JSON.stringify({ code }),
});

const content = (path, headers = {}) => fetch(`${api.baseUrl}${path}`, { headers });

async function create(input) {
  const data = await api.ok(scene.owner.token, CREATE, { input: { vaultId: scene.vaultId, ...input } });
  assert.deepEqual(data.createShareLink.userErrors, [], JSON.stringify(data.createShareLink.userErrors));
  return data.createShareLink;
}

test('the person shares a document; the recipient opens it with the code and downloads it, SHA-256 checked', async () => {
  scene ??= await setup();
  const created = await create({ documentIds: [scene.shared.documentId], maxOpenings: 2, label: 'pour la préfecture' });
  const linkId = created.shareLink.id;
  assert.equal(created.url, `${api.baseUrl}/share/${linkId}`);
  assert.match(linkId, /^[0-9a-hjkmnp-tv-z]{26}$/);
  assert.match(created.code, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-Z*~$=]$/);
  assert.deepEqual([created.shareLink.status, created.shareLink.documentCount, created.shareLink.openings], ['ACTIVE', 1, 0]);

  // The page: a code form, nothing of the documents.
  const page = await content(`/share/${linkId}`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
  const html = await page.text();
  assert.match(html, /<form method="post" action="\/share\/[0-9a-z]+\/open">/);
  assert.doesNotMatch(html, /Attestation/);

  // The right code (typed in lower case, without hyphens): one opening, the documents and a token.
  const opened = await answerOf(await open(linkId, created.code.replaceAll('-', '').toLowerCase()));
  assert.equal(opened.status, 200, JSON.stringify(opened.body));
  const [document] = opened.body.data.documents;
  assert.equal(opened.body.data.documents.length, 1);
  assert.deepEqual([document.documentId, document.title, document.typeCode, document.sha256], [scene.shared.documentId, 'Attestation de droits', 'ATTEST-DROITS-AM', scene.shared.sha256]);
  assert.equal(opened.body.data.openingsLeft, 1);
  assert.match(opened.headers.get('set-cookie'), /coffre-share=.*httponly/i);

  const download = await content(document.downloadPath, { 'x-share-token': opened.body.data.openingToken });
  assert.equal(download.status, 200);
  const bytes = Buffer.from(await download.arrayBuffer());
  assert.equal(sha256Hex(bytes), scene.shared.sha256);
  assert.equal(bytes.toString('utf8'), scene.content);
  assert.equal(download.headers.get('content-security-policy'), 'sandbox');
  assert.equal(download.headers.get('cache-control'), 'no-store');

  // Another document of the vault, through the same link and token: the same answer as a wrong link.
  const otherDocument = await answerOf(await content(`/share/${linkId}/documents/${scene.other.documentId}/content`, { 'x-share-token': opened.body.data.openingToken }));
  const noToken = await answerOf(await content(document.downloadPath));
  for (const refused of [otherDocument, noToken]) {
    assert.equal(refused.status, 404);
    assert.equal(refused.body.errors[0].extensions.code, 'SHARE_LINK_UNAVAILABLE');
  }

  // The page's form (no script): the second and last opening, as HTML, the token in a cookie limited to the link's path.
  const formOpening = await open(linkId, created.code, { form: true });
  assert.equal(formOpening.status, 200);
  const listing = await formOpening.text();
  assert.match(listing, /Attestation de droits/);
  assert.match(listing, new RegExp(scene.shared.sha256));
  const cookie = formOpening.headers.get('set-cookie').split(';')[0];
  assert.match(formOpening.headers.get('set-cookie'), new RegExp(`path=/share/${linkId}`, 'i'));
  const byCookie = await content(document.downloadPath, { cookie });
  assert.equal(byCookie.status, 200);
  assert.equal(sha256Hex(Buffer.from(await byCookie.arrayBuffer())), scene.shared.sha256);

  // Used up: the right code now gets the one answer; the person's list says why.
  const usedUp = await answerOf(await open(linkId, created.code));
  assert.equal(usedUp.status, 404);
  const links = (await api.ok(scene.owner.token, LINKS, { id: scene.vaultId })).vault.shareLinks;
  const listed = links.edges.find((e) => e.node.id === linkId).node;
  assert.deepEqual([listed.status, listed.openings, listed.maxOpenings, listed.documentCount], ['USED_UP', 2, 2, 1]);

  // Every opening and download is in the person's access history, with the link as the actor and no code.
  const history = await accessHistory(api, scene.owner.token, scene.vaultId);
  const byLink = history.filter((e) => e.actorId === `share:${linkId}`);
  assert.equal(byLink.filter((e) => e.operation === 'share.opened' && e.basis === 'SHARE_LINK' && e.allowed).length, 2);
  assert.equal(byLink.filter((e) => e.operation === 'share.download' && e.target === `document:${scene.shared.documentId}`).length, 2);
  assert.ok(byLink.every((e) => e.actorKind === 'ANONYMOUS'));
  assert.ok(!JSON.stringify(history).includes(created.code.replaceAll('-', '')));
  const notifications = await api.ok(scene.owner.token, `query N($id: ID!) { vault(id: $id) { notifications(first: 20) { kind payload { ... on ShareLinkOpenedNotice { linkId openings } } } } }`, { id: scene.vaultId });
  assert.equal(notifications.vault.notifications.filter((n) => n.kind === 'SHARE_LINK_OPENED' && n.payload.linkId === linkId).length, 2);
});

test('a wrong code, an unknown link and a malformed one get one and the same answer', async () => {
  scene ??= await setup();
  const created = await create({ documentIds: [scene.shared.documentId] });
  const wrong = created.code.startsWith('0000') ? '1111-1111-1' : '0000-0000-0';
  const answers = await Promise.all([
    open(created.shareLink.id, wrong), open(created.shareLink.id, ''), open('0123456789abcdefghjkmnpqrs', created.code), open('not-a-link', created.code),
  ].map(async (r) => answerOf(await r)));
  for (const answer of answers) {
    assert.equal(answer.status, 404);
    assert.deepEqual(answer.body, answers[0].body);
  }
  assert.equal(answers[0].body.errors[0].extensions.code, 'SHARE_LINK_UNAVAILABLE');
  // The code is never taken from the URL; a body that is not the code's shape is a validation error naming the field.
  const bad = await answerOf(await fetch(`${api.baseUrl}/share/${created.shareLink.id}/open`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }));
  assert.deepEqual([bad.status, bad.body.errors[0].extensions.field], [400, 'code']);
  const tooLarge = await answerOf(await fetch(`${api.baseUrl}/share/${created.shareLink.id}/open`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'x'.repeat(5000) }) }));
  assert.equal(tooLarge.status, 400);
  // The right code still opens (two wrong codes do not lock).
  assert.equal((await open(created.shareLink.id, created.code)).status, 200);
});

test('revoking a link stops its next opening at once', async () => {
  scene ??= await setup();
  const created = await create({ documentIds: [scene.shared.documentId], maxOpenings: 5, validForHours: 48 });
  const first = await answerOf(await open(created.shareLink.id, created.code));
  assert.equal(first.status, 200);
  const data = await api.ok(scene.owner.token, REVOKE, { input: { vaultId: scene.vaultId, linkId: created.shareLink.id } });
  assert.deepEqual(data.revokeShareLink.userErrors, []);
  assert.equal(data.revokeShareLink.shareLink.status, 'REVOKED');
  assert.equal((await answerOf(await open(created.shareLink.id, created.code))).body.errors[0].extensions.code, 'SHARE_LINK_UNAVAILABLE');
  const download = await content(first.body.data.documents[0].downloadPath, { 'x-share-token': first.body.data.openingToken });
  assert.equal(download.status, 404);
});

test('only the person (or a parent or tutor) shares, documents they may read, within bounds', async () => {
  scene ??= await setup();
  const { status, body } = await api.gql(scene.socialWorker.token, CREATE, { input: { vaultId: scene.vaultId, documentIds: [scene.shared.documentId] } });
  assert.equal(status, 200);
  assert.equal(body.errors[0].extensions.code, 'FORBIDDEN');
  assert.match(body.errors[0].message, /Only the person, or a parent or tutor/);

  const invalid = async (input) => (await api.ok(scene.owner.token, CREATE, { input: { vaultId: scene.vaultId, documentIds: [scene.shared.documentId], ...input } })).createShareLink.userErrors[0];
  assert.deepEqual(await invalid({ maxOpenings: 0 }), { code: 'VALIDATION', field: 'maxOpenings', message: 'maxOpenings must be between 1 and 20' });
  assert.equal((await invalid({ validForHours: 24 * 31 })).field, 'validForHours');
  assert.equal((await invalid({ documentIds: [] })).field, 'documentIds');
  assert.deepEqual(await invalid({ documentIds: ['d-999999-zzzzzzzz'] }), { code: 'NOT_FOUND', field: 'documentIds', message: 'documentIds names no document of this vault (d-999999-zzzzzzzz)' });
});
