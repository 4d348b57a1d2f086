// One vocabulary for front-end teams, as a new user meets it: viewer.subject is the token's sub; notifications have
// an enum kind and a typed payload (a union, one type per kind), not a JSON string to parse.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, newRpps, newFiness, openVaultAsReferent, grant, deposit } from './harness.mjs';

const api = useServer();

const VIEWER = '{ viewer { kind subject rpps vault { vaultId } } }';

describe('viewer.subject is the token\'s sub claim', () => {
  test('for each kind of caller, and null without a token', async () => {
    const anonymous = (await api.ok(null, VIEWER)).viewer;
    assert.deepEqual(anonymous, { kind: 'ANONYMOUS', subject: null, rpps: null, vault: null });

    const operator = (await api.ok(await api.token('operator', 'op-vocabulary'), VIEWER)).viewer;
    assert.equal(operator.kind, 'OPERATOR');
    assert.equal(operator.subject, 'op-vocabulary');

    // A professional's sub is their provider's subject, not the RPPS (which is viewer.rpps).
    const rpps = newRpps();
    await api.registerProfessional(rpps, '10');
    const professional = (await api.ok(await api.token('professional', 'psc-5f0c2a9e', { rpps, profession: '10' }), VIEWER)).viewer;
    assert.deepEqual(professional, { kind: 'PROFESSIONAL', subject: 'psc-5f0c2a9e', rpps, vault: null });

    // A person's sub is their vault id.
    const socialWorker = await api.professional('SOC-AS', { finess: newFiness() });
    const vaultId = await openVaultAsReferent(api, socialWorker.token, { familyName: 'Sujet' });
    const person = (await api.ok(await api.token('patient', vaultId), VIEWER)).viewer;
    assert.deepEqual(person, { kind: 'PATIENT', subject: vaultId, rpps: null, vault: { vaultId } });
  });
});

describe('notifications: an enum kind and a typed payload', () => {
  const NOTIFICATIONS = `query Notifications($id: ID!) {
    vault(id: $id) {
      notifications(first: 20) {
        kind createdAt
        payload {
          __typename
          ... on FirstAccessNotice { rpps profession basis at }
          ... on BreakGlassNotice { rpps profession startedAt expiresAt }
          ... on NewDocumentNotice { documentId classCode typeCode }
        }
      }
    }
  }`;
  let vaultId, owner, doctor, emergency, attestation;

  before(async () => {
    const socialWorker = await api.professional('SOC-AS', { finess: newFiness() });
    vaultId = await openVaultAsReferent(api, socialWorker.token, { familyName: 'Notifiée' });
    owner = await api.token('patient', vaultId);
    doctor = await api.professional('10');
    await grant(api, owner, vaultId, doctor.rpps);
    await api.ok(doctor.token, 'query Q($id: ID!) { vault(id: $id) { basis } }', { id: vaultId });
    emergency = await api.professional('10');
    const broke = await api.ok(emergency.token, 'mutation B($input: BreakGlassInput!) { breakGlass(input: $input) { session { expiresAt } userErrors { code } } }',
      { input: { vaultId, reason: 'Unconscious patient brought to the emergency room' } });
    assert.deepEqual(broke.breakGlass.userErrors, []);
    attestation = await deposit(api, socialWorker.token, vaultId, { title: 'Attestation de résidence', classCode: '52', typeCode: 'ATTEST-RESID' }, '%PDF-1.4 attestation', 'application/pdf');
  });

  test('each kind comes with its own payload type and fields', async () => {
    const { notifications } = (await api.ok(owner, NOTIFICATIONS, { id: vaultId })).vault;
    const typeOfKind = { FIRST_ACCESS: 'FirstAccessNotice', BREAK_GLASS: 'BreakGlassNotice', NEW_DOCUMENT: 'NewDocumentNotice' };
    for (const n of notifications) {
      if (typeOfKind[n.kind]) assert.equal(n.payload.__typename, typeOfKind[n.kind], JSON.stringify(n));
      assert.notEqual(typeof n.payload, 'string');
    }
    const firstAccess = notifications.filter((n) => n.kind === 'FIRST_ACCESS').map((n) => n.payload);
    assert.ok(firstAccess.some((p) => p.rpps === doctor.rpps && p.profession === '10' && p.basis === 'GRANT'), JSON.stringify(firstAccess));
    const breakGlass = notifications.find((n) => n.kind === 'BREAK_GLASS')?.payload;
    assert.equal(breakGlass?.rpps, emergency.rpps, JSON.stringify(notifications));
    assert.ok(Date.parse(breakGlass.expiresAt) > Date.parse(breakGlass.startedAt));
    const newDocument = notifications.find((n) => n.kind === 'NEW_DOCUMENT')?.payload;
    assert.deepEqual(newDocument, { __typename: 'NewDocumentNotice', documentId: attestation.documentId, classCode: '52', typeCode: 'ATTEST-RESID' });
  });

  test('NotificationKind is an enum and NotificationPayload a union, one type per kind', async () => {
    const introspected = await api.ok(null, '{ __type(name: "NotificationKind") { kind enumValues { name } } }');
    assert.equal(introspected.__type.kind, 'ENUM');
    assert.deepEqual(introspected.__type.enumValues.map((v) => v.name).sort(),
      ['ACCOMPANIMENT_ENDED', 'ACCOMPANIMENT_HANDED_OVER', 'APPOINTMENT_CHANGED', 'APPOINTMENT_REMINDER', 'APP_CONNECTED', 'APP_DISCONNECTED', 'BREAK_GLASS',
        'BREAK_GLASS_REVIEWED', 'CARER_DELEGATION_ENDED', 'CARER_DELEGATION_STARTED', 'EXPORT_READY', 'FIRST_ACCESS', 'HAND_OVER_ISSUED',
        'MAJORITY_REACHED', 'MESSAGE_RECEIVED', 'NEW_DOCUMENT', 'NIR_ATTACHED', 'PROFILE_ENTRY_ADDED', 'REPRESENTATION_ENDED_AT_MAJORITY', 'REPRESENTATIVE_ADDED',
        'SHARE_LINK_LOCKED', 'SHARE_LINK_OPENED', 'VAULT_MERGED']);
    const payload = await api.ok(null, '{ __type(name: "NotificationPayload") { kind possibleTypes { name } } }');
    assert.equal(payload.__type.kind, 'UNION');
    assert.equal(payload.__type.possibleTypes.length, introspected.__type.enumValues.length);
  });
});

describe('what the guide says a refusal looks like (§1, §5, §7)', () => {
  test('an invalid token: HTTP 401 UNAUTHENTICATED with a Bearer invalid_token challenge, on /graphql and on the document routes', async () => {
    const garbage = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const { status, body, headers } = await api.gql(garbage, '{ viewer { kind subject } }');
    assert.equal(status, 401, JSON.stringify(body));
    assert.equal(body.errors[0].extensions.code, 'UNAUTHENTICATED');
    assert.equal('data' in body, false);
    assert.match(headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
    const download = await api.download(garbage, '/vaults/v-00000000000000000000/documents/d-000001-abcdefgh/content');
    assert.equal(download.status, 401, JSON.stringify(download.body));
    assert.equal(download.body.errors[0].extensions.code, 'UNAUTHENTICATED');
  });

  test('no token: a vault field is UNAUTHENTICATED with reason NOT_AUTHENTICATED, and the document routes answer 401 with the same reason', async () => {
    const socialWorker = await api.professional('SOC-AS', { finess: newFiness() });
    const vaultId = await openVaultAsReferent(api, socialWorker.token, { familyName: 'Anonyme' });
    const { status, body } = await api.gql(null, 'query Q($id: ID!) { vault(id: $id) { vaultId } }', { id: vaultId });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body.data, { vault: null });
    assert.deepEqual([body.errors[0].extensions.code, body.errors[0].extensions.reason], ['UNAUTHENTICATED', 'NOT_AUTHENTICATED']);
    const upload = await api.upload(null, vaultId, { title: 'x', classCode: '52', typeCode: 'ATTEST-RESID' }, 'x');
    assert.equal(upload.status, 401, JSON.stringify(upload.body));
    assert.deepEqual([upload.body.errors[0].extensions.code, upload.body.errors[0].extensions.reason], ['UNAUTHENTICATED', 'NOT_AUTHENTICATED']);
  });

  test('a refusal on a document route carries the reason a GraphQL field error carries, spelled alike', async () => {
    const socialWorker = await api.professional('SOC-AS', { finess: newFiness() });
    const vaultId = await openVaultAsReferent(api, socialWorker.token, { familyName: 'Raison' });
    const stranger = await api.professional('10');
    const refused = await api.upload(stranger.token, vaultId, { title: 'CR biologie', classCode: '10', typeCode: '11502-2' }, 'x');
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    const field = await api.gql(stranger.token, 'query Q($id: ID!) { vault(id: $id) { vaultId } }', { id: vaultId });
    assert.deepEqual(
      [refused.body.errors[0].extensions, field.body.errors[0].extensions].map((e) => [e.code, e.reason]),
      [['FORBIDDEN', 'NO_BASIS'], ['FORBIDDEN', 'NO_BASIS']]);
  });
});
