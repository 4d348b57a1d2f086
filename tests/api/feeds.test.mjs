// The bulk feed of establishments' systems (POST /feeds/documents) over real HTTP, with client-credentials tokens from
// Coffre's OpenID provider: who may feed, idempotency per external id, masking (MASQUE_PS, a minor's secrecy), refusals
// with nothing stored (unknown, opposed, outside the category's scope, invalid), back-pressure, the person's
// notification and history naming the sender, and the establishment's counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import {
  useServer, newFiness, newNir, newVaultIdLike, openVaultAsReferent, grant, addRepresentative, sha256Hex, waitFor, answerOf,
} from './harness.mjs';
import { OIDC_ARGS } from './oidc-kit.mjs';

// One document at a time in flight on this server: the back-pressure test fills it with one held request.
const api = useServer([...OIDC_ARGS, '--Coffre:Feeds:MaxInFlightItems=1', '--Coffre:Feeds:RetryAfterSeconds=2']);
const insecure = { execute: [oidc.allowInsecureRequests] };
const REGISTER_ESTABLISHMENT = `mutation M($input: RegisterEstablishmentInput!) { registerEstablishment(input: $input) { establishment { finess } userErrors { code field message } } }`;
const REGISTER_CLIENT = `mutation($input: RegisterEstablishmentClientInput!) {
  registerEstablishmentClient(input: $input) { client { clientId clientSecret } userErrors { code field message } } }`;
const OPPOSE = `mutation M($input: RecordOppositionInput!) { recordOpposition(input: $input) { receipt { receiptId } userErrors { code field message } } }`;
const DOCUMENTS = `query($id: ID!) { vault(id: $id) { documents(first: 50) { nodes { documentId title visibility { maskedFromProfessionals invisibleToRepresentatives }
  sender { finess name externalId } } } } }`;
const STATISTICS = `query($finess: Finess!) { establishment(finess: $finess) { feedStatistics { finess requests accepted duplicate refused { code count } } } }`;
const REPORT = { title: 'CR hospitalier', classCode: '10', typeCode: '34112-3' };
const pdf = (label) => Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(label), randomBytes(2048)]);

let operator;
async function operatorToken() {
  operator ??= await api.token('operator', 'op-feeds');
  return operator;
}

/** A registered establishment of this category with its own system's client; returns { finess, name, token }. */
async function establishmentSystem(categoryCode, { register = true } = {}) {
  const op = await operatorToken();
  const finess = newFiness();
  const name = `Centre hospitalier ${finess}`;
  if (register) {
    const r = await api.ok(op, REGISTER_ESTABLISHMENT, { input: { finess, name, kind: 'LEGAL_ENTITY', categoryCode, sector: 'HEALTH' } });
    assert.deepEqual(r.registerEstablishment.userErrors, []);
  }
  const c = (await api.ok(op, REGISTER_CLIENT, { input: { finess, displayName: `DPI ${finess}` } })).registerEstablishmentClient;
  assert.deepEqual(c.userErrors, []);
  const config = await oidc.discovery(new URL(api.baseUrl), c.client.clientId, c.client.clientSecret, undefined, insecure);
  return { finess, name, token: (await oidc.clientCredentialsGrant(config)).access_token };
}

/** The multipart body of a feed: the manifest, then each document's part. */
function feedForm(documents, { manifest } = {}) {
  const form = new FormData();
  const items = documents.map(({ content, ...item }, i) => ({
    part: `doc${i}`, size: content.length, sha256: sha256Hex(content), ...REPORT, ...item,
  }));
  form.append('manifest', new Blob([JSON.stringify(manifest ?? { items })], { type: 'application/json' }), 'manifest.json');
  documents.forEach(({ content, part }, i) => form.append(part ?? `doc${i}`, new Blob([content], { type: 'application/pdf' }), `doc${i}.pdf`));
  return form;
}

async function feed(token, documents, options) {
  const response = await fetch(`${api.baseUrl}/feeds/documents`, {
    method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {}, body: feedForm(documents, options),
  });
  return answerOf(response);
}

async function feedOk(token, documents) {
  const { status, body } = await feed(token, documents);
  assert.equal(status, 200, JSON.stringify(body));
  return body.data.items;
}

const newExternalId = () => `DPI-${randomBytes(6).toString('hex')}`;

/** A person whose vault a social worker opened with their NIR: { nir, vaultId, ownerToken }. */
async function person({ minor = false } = {}) {
  const socialWorker = await api.professional('SOC-AS', { finess: newFiness() });
  const nir = newNir();
  const vaultId = await openVaultAsReferent(api, socialWorker.token, { nir, minor });
  return { nir, vaultId, ownerToken: await api.token('patient', vaultId) };
}

test('feeds: only an establishment system registered in the directory feeds; anonymous and others are refused before the body is read', async () => {
  const anonymous = await feed(null, [{ externalId: 'x', nir: newNir(), content: pdf('a') }]);
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.body.errors[0].extensions.code, 'UNAUTHENTICATED');

  const patient = await person();
  const asPatient = await feed(patient.ownerToken, [{ externalId: 'x', vaultId: patient.vaultId, content: pdf('a') }]);
  assert.equal(asPatient.status, 403);
  assert.equal(asPatient.body.errors[0].extensions.code, 'FORBIDDEN');
  assert.equal(asPatient.body.errors[0].extensions.reason, 'NOT_PERMITTED');

  const unregistered = await establishmentSystem('355', { register: false });
  const asUnregistered = await feed(unregistered.token, [{ externalId: 'x', vaultId: patient.vaultId, content: pdf('a') }]);
  assert.equal(asUnregistered.status, 403);
  assert.equal(asUnregistered.body.errors[0].extensions.reason, 'NOT_REGISTERED');

  const noScope = await establishmentSystem('999');
  const asNoScope = await feed(noScope.token, [{ externalId: 'x', vaultId: patient.vaultId, content: pdf('a') }]);
  assert.equal(asNoScope.status, 403);
  assert.equal(asNoScope.body.errors[0].extensions.reason, 'OUTSIDE_SCOPE');
  assert.deepEqual(await api.storedFiles(patient.vaultId), []);
});

test('feeds: the same external id twice is one document (DUPLICATE answers the first); the person sees the sender, is notified and has it in their history', async () => {
  const hospital = await establishmentSystem('355');
  const p = await person();
  const externalId = newExternalId();
  const content = pdf('stay report');
  const [first] = await feedOk(hospital.token, [{ externalId, nir: p.nir, content }]);
  assert.equal(first.status, 'ACCEPTED', JSON.stringify(first));
  assert.equal(first.vaultId, p.vaultId);
  const [again] = await feedOk(hospital.token, [{ externalId, nir: p.nir, content }]);
  assert.equal(again.status, 'DUPLICATE', JSON.stringify(again));
  assert.equal(again.documentId, first.documentId);
  // By vault id too: the key is the establishment's external id.
  const [third] = await feedOk(hospital.token, [{ externalId, vaultId: p.vaultId, content }]);
  assert.equal(third.status, 'DUPLICATE');
  assert.equal((await api.storedFiles(p.vaultId)).length, 1);

  const documents = (await api.ok(p.ownerToken, DOCUMENTS, { id: p.vaultId })).vault.documents.nodes;
  assert.equal(documents.length, 1);
  assert.deepEqual(documents[0].sender, { finess: hospital.finess, name: hospital.name, externalId });

  const notes = (await api.ok(p.ownerToken, `query($id: ID!) { vault(id: $id) { notifications { kind payload { ... on NewDocumentNotice { documentId senderFiness senderName } } } } }`,
    { id: p.vaultId })).vault.notifications.filter((n) => n.kind === 'NEW_DOCUMENT');
  assert.deepEqual(notes.map((n) => n.payload), [{ documentId: first.documentId, senderFiness: hospital.finess, senderName: hospital.name }]);

  const history = (await api.ok(p.ownerToken, `query($id: ID!) { vault(id: $id) { accessHistory(first: 50) { nodes { operation actorKind actorRole basis allowed target } } } }`,
    { id: p.vaultId })).vault.accessHistory.nodes.filter((e) => e.operation === 'document.feed');
  assert.deepEqual(history, [{ operation: 'document.feed', actorKind: 'ESTABLISHMENT', actorRole: `finess:${hospital.finess}`, basis: 'FEED', allowed: true, target: `document:${first.documentId}` }]);
});

test('feeds: MASQUE_PS hides a fed document from a professional with a grant; a minor\'s secret one is hidden from the parent', async () => {
  const hospital = await establishmentSystem('101');
  const adult = await person();
  const doctor = await api.professional('10');
  await grant(api, adult.ownerToken, adult.vaultId, doctor.rpps);
  const items = await feedOk(hospital.token, [
    { externalId: newExternalId(), nir: adult.nir, title: 'Masqué', maskedFromProfessionals: true, content: pdf('masked') },
    { externalId: newExternalId(), nir: adult.nir, title: 'Visible', content: pdf('visible') },
  ]);
  assert.deepEqual(items.map((i) => i.status), ['ACCEPTED', 'ACCEPTED']);
  const seenByDoctor = (await api.ok(doctor.token, DOCUMENTS, { id: adult.vaultId })).vault.documents.nodes.map((d) => d.title);
  assert.deepEqual(seenByDoctor, ['Visible']);
  const seenByOwner = (await api.ok(adult.ownerToken, DOCUMENTS, { id: adult.vaultId })).vault.documents.nodes;
  assert.equal(seenByOwner.find((d) => d.title === 'Masqué').visibility.maskedFromProfessionals, true);

  // A minor's secrecy: only for a minor (refused for an adult, naming the field), then hidden from the parent.
  const [adultSecret] = await feedOk(hospital.token, [{ externalId: newExternalId(), nir: adult.nir, minorSecret: true, content: pdf('s') }]);
  assert.equal(adultSecret.status, 'REFUSED');
  assert.equal(adultSecret.code, 'VALIDATION');
  assert.equal(adultSecret.field, 'items[0].minorSecret');

  const minor = await person({ minor: true });
  const parent = await person();
  await addRepresentative(api, await operatorToken(), minor.vaultId, parent.vaultId, 'PARENT');
  const fed = await feedOk(hospital.token, [
    { externalId: newExternalId(), nir: minor.nir, title: 'Secret du mineur', minorSecret: true, content: pdf('secret') },
    { externalId: newExternalId(), nir: minor.nir, title: 'Compte rendu', content: pdf('plain') },
  ]);
  assert.deepEqual(fed.map((i) => i.status), ['ACCEPTED', 'ACCEPTED']);
  const parentToken = await api.token('patient', parent.vaultId);
  const seenByParent = (await api.ok(parentToken, DOCUMENTS, { id: minor.vaultId })).vault.documents.nodes.map((d) => d.title);
  assert.deepEqual(seenByParent, ['Compte rendu']);
  const seenByMinor = (await api.ok(minor.ownerToken, DOCUMENTS, { id: minor.vaultId })).vault.documents.nodes;
  assert.equal(seenByMinor.find((d) => d.title === 'Secret du mineur').visibility.invisibleToRepresentatives, true);
});

test('feeds: unknown and opposed people, types outside the category\'s scope and invalid items are refused with nothing stored', async () => {
  const hospital = await establishmentSystem('355');
  const opposed = await person();
  const op = await operatorToken();
  const o = await api.ok(op, OPPOSE, { input: { nir: opposed.nir } });
  assert.deepEqual(o.recordOpposition.userErrors, []);
  const kept = await person();
  const good = pdf('good');
  const items = await feedOk(hospital.token, [
    { externalId: newExternalId(), nir: newNir(), content: pdf('unknown') },
    { externalId: newExternalId(), vaultId: newVaultIdLike(), content: pdf('no vault') },
    { externalId: newExternalId(), nir: opposed.nir, content: pdf('opposed') },
    { externalId: newExternalId(), nir: kept.nir, title: 'Attestation', classCode: '52', typeCode: 'ATTEST-HEBGT', content: pdf('outside') },
    { externalId: newExternalId(), nir: kept.nir, sha256: '0'.repeat(64), content: pdf('lying hash') },
    { externalId: newExternalId(), nir: kept.nir, typeCode: 'NOPE', content: pdf('bad type') },
    { externalId: newExternalId(), nir: kept.nir, masked: true, content: pdf('typo') },
  ]);
  assert.deepEqual(items.map((i) => [i.status, i.code, i.field ?? null]), [
    ['REFUSED', 'UNKNOWN_PERSON', 'items[0].nir'],
    ['REFUSED', 'UNKNOWN_PERSON', 'items[1].vaultId'],
    ['REFUSED', 'OPPOSED', null],
    ['REFUSED', 'OUTSIDE_SCOPE', 'items[3].typeCode'],
    ['REFUSED', 'VALIDATION', 'items[4].sha256'],
    ['REFUSED', 'VALIDATION', 'items[5].typeCode'],
    ['REFUSED', 'VALIDATION', 'items[6].masked'],
  ]);
  assert.ok(items.every((i) => i.documentId === undefined && i.reason), JSON.stringify(items));
  assert.deepEqual(await api.storedFiles(opposed.vaultId), []);
  assert.deepEqual(await api.storedFiles(kept.vaultId), []);
  assert.deepEqual(await api.stagingFiles(), []);
  assert.equal((await api.ok(kept.ownerToken, DOCUMENTS, { id: kept.vaultId })).vault.documents.nodes.length, 0);

  // The request as a whole: bounded items, each field named.
  const tooMany = await feed(hospital.token, [], { manifest: { items: Array.from({ length: 51 }, (_, i) => ({ externalId: `e${i}` })) } });
  assert.equal(tooMany.status, 400);
  assert.equal(tooMany.body.errors[0].extensions.field, 'items');
  assert.match(tooMany.body.errors[0].message, /1 to 50/);
  const noManifest = await fetch(`${api.baseUrl}/feeds/documents`, { method: 'POST', headers: { authorization: `Bearer ${hospital.token}` }, body: new FormData() });
  assert.equal(noManifest.status, 400);
});

test('feeds: beyond the in-flight bound the answer is RETRY_LATER with Retry-After, then the same request is accepted', async () => {
  const hospital = await establishmentSystem('355');
  const prober = await establishmentSystem('355');
  const p = await person();
  const heldContent = pdf('held');
  const boundary = `----coffre${randomBytes(8).toString('hex')}`;
  const manifest = JSON.stringify({ items: [{ externalId: newExternalId(), nir: p.nir, ...REPORT, part: 'held', size: heldContent.length, sha256: sha256Hex(heldContent) }] });
  const head = Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="manifest"\r\ncontent-type: application/json\r\n\r\n${manifest}\r\n`
    + `--${boundary}\r\ncontent-disposition: form-data; name="held"; filename="held.pdf"\r\ncontent-type: application/pdf\r\n\r\n`);
  /** Sends the manifest and half the document, and holds the rest: once admitted, the request fills the bound. */
  function startHeld() {
    const request = http.request(`${api.baseUrl}/feeds/documents`, {
      method: 'POST', headers: { authorization: `Bearer ${hospital.token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    const held = { request, answer: null };
    held.answered = new Promise((resolve, reject) => {
      request.on('response', (response) => {
        const chunks = [];
        response.on('data', (c) => chunks.push(c));
        response.on('end', () => resolve(held.answer = { status: response.statusCode, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      });
      request.on('error', reject);
    });
    request.write(head);
    request.write(documentHalf);
    return held;
  }
  const documentHalf = heldContent.subarray(0, 1000);
  let held = startHeld();

  // Phase barrier: probe (another establishment, an unknown person) until the held request's document is in flight. A
  // probe that was admitted first makes the held request answer RETRY_LATER itself: it is then sent again.
  let full;
  await waitFor(async () => {
    if (held.answer) {
      assert.equal(held.answer.status, 429, JSON.stringify(held.answer));
      held.request.destroy();
      held = startHeld();
      return false;
    }
    full = await feed(prober.token, [{ externalId: newExternalId(), nir: newNir(), content: pdf('probe') }]);
    return full.status === 429;
  }, { message: 'the held feed request never filled the in-flight bound' });
  assert.equal(full.body.errors[0].extensions.code, 'RETRY_LATER');
  assert.equal(full.headers.get('retry-after'), '2');

  held.request.end(Buffer.concat([heldContent.subarray(1000), Buffer.from(`\r\n--${boundary}--\r\n`)]));
  const done = await held.answered;
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.body.data.items[0].status, 'ACCEPTED');

  const [after] = await feedOk(hospital.token, [{ externalId: newExternalId(), nir: p.nir, content: pdf('after') }]);
  assert.equal(after.status, 'ACCEPTED');
  assert.equal((await api.storedFiles(p.vaultId)).length, 2);
});

test('feeds: per-establishment counters, read by the establishment\'s system and support operators only', async () => {
  const hospital = await establishmentSystem('355');
  const other = await establishmentSystem('355');
  const p = await person();
  const externalId = newExternalId();
  const content = pdf('counted');
  await feedOk(hospital.token, [{ externalId, nir: p.nir, content }, { externalId: newExternalId(), nir: newNir(), content: pdf('nobody') }]);
  await feedOk(hospital.token, [{ externalId, nir: p.nir, content }]);
  const own = (await api.ok(hospital.token, STATISTICS, { finess: hospital.finess })).establishment.feedStatistics;
  assert.deepEqual(own, { finess: hospital.finess, requests: 2, accepted: 1, duplicate: 1, refused: [{ code: 'UNKNOWN_PERSON', count: 1 }] });
  const byOperator = (await api.ok(await api.token('operator', 'op-feeds-support', { operatorRoles: 'support' }), STATISTICS, { finess: hospital.finess })).establishment.feedStatistics;
  assert.deepEqual(byOperator, own);
  const foreign = await api.gql(other.token, STATISTICS, { finess: hospital.finess });
  assert.equal(foreign.body.errors[0].extensions.code, 'FORBIDDEN');
});
