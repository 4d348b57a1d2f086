// Issue 13, part 2: a carer's day over real HTTP. The person invites (document classes, actions, until) and gets a one-time
// code; the carer, signed in as themself, accepts it; the carer reads and deposits within the delegated classes, manages an
// appointment, is refused outside (FORBIDDEN with the evaluator's reason); either side ends the delegation, at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, openVaultAsReferent, deposit, accessHistory } from './harness.mjs';

const api = useServer();

const INVITE = `mutation I($input: InviteCarerInput!) { inviteCarer(input: $input) {
  invitation { reference code expiresAt classCodes actions until label } userErrors { code field message } } }`;
const ACCEPT = `mutation A($input: AcceptCarerInvitationInput!) { acceptCarerInvitation(input: $input) {
  delegation { id carerVaultId classCodes actions until status } vault { vaultId basis } userErrors { code field message } } }`;
const END = `mutation E($input: EndCarerDelegationInput!) { endCarerDelegation(input: $input) {
  delegation { id status endedAt endedBy } userErrors { code field message } } }`;
const MINE = `{ myCarerDelegations { vaultId delegationId classCodes actions until status } }`;
const CARERS = `query C($id: ID!) { vault(id: $id) { carers { id carerVaultId label classCodes actions until status endedBy }
  notifications(first: 20) { kind } } }`;
const DOCS = `query D($id: ID!) { vault(id: $id) { basis documents(first: 20) { edges { node { documentId classCode } } } } }`;
const DOC = `query D($id: ID!, $doc: String!) { vault(id: $id) { document(documentId: $doc) { documentId } } }`;
const WHY = `query W($id: ID!, $doc: String) { vault(id: $id) { why(action: READ_DOCUMENT, documentId: $doc) { allowed basis reason message } } }`;
const CREATE = `mutation C($input: CreateAppointmentInput!) { createAppointment(input: $input) { appointment { appointmentId status } userErrors { code field message } } }`;

const inDays = (d) => new Date(Date.now() + d * 86_400_000).toISOString();

async function scene() {
  const social = await api.professional('SOC-AS');
  const vaultId = await openVaultAsReferent(api, social.token, { familyName: 'Aidé' });
  const carerVaultId = await openVaultAsReferent(api, social.token, { familyName: 'Aidante' });
  return { vaultId, owner: await api.token('patient', vaultId), carerVaultId, carer: await api.token('patient', carerVaultId) };
}

async function inviteAndAccept(s, actions, classCodes = ['52']) {
  const invited = await api.ok(s.owner, INVITE, { input: { vaultId: s.vaultId, classCodes, actions, until: inDays(30), label: 'ma fille' } });
  assert.deepEqual(invited.inviteCarer.userErrors, []);
  const { code } = invited.inviteCarer.invitation;
  assert.match(code, /^[0-9A-Z]{6}-[0-9A-Z]{5}-[0-9A-Z]{5}-.$/);
  const accepted = await api.ok(s.carer, ACCEPT, { input: { code } });
  assert.deepEqual(accepted.acceptCarerInvitation.userErrors, []);
  return accepted.acceptCarerInvitation;
}

test("a carer's day: invite, accept, read, deposit, an appointment, refused outside, end", async () => {
  const s = await scene();
  const social = await deposit(api, s.owner, s.vaultId, { title: 'Attestation CAF', classCode: '52', typeCode: 'ATTEST-RESID' });
  const medical = await deposit(api, s.owner, s.vaultId, { title: 'Lettre', classCode: '10', typeCode: '11490-0' });

  const accepted = await inviteAndAccept(s, ['READ', 'DEPOSIT', 'MANAGE_APPOINTMENTS']);
  assert.equal(accepted.delegation.carerVaultId, s.carerVaultId);
  assert.equal(accepted.delegation.status, 'ACTIVE');
  assert.deepEqual(accepted.vault, { vaultId: s.vaultId, basis: 'CARER' });

  // The carer finds the person without knowing ids.
  const mine = await api.ok(s.carer, MINE);
  assert.equal(mine.myCarerDelegations[0].vaultId, s.vaultId);
  assert.deepEqual(mine.myCarerDelegations[0].actions, ['READ', 'DEPOSIT', 'MANAGE_APPOINTMENTS']);

  // Read within the delegated classes: the list holds the social document only; why explains it.
  const docs = await api.ok(s.carer, DOCS, { id: s.vaultId });
  assert.equal(docs.vault.basis, 'CARER');
  assert.deepEqual(docs.vault.documents.edges.map((e) => e.node.documentId), [social.documentId]);
  const why = await api.ok(s.carer, WHY, { id: s.vaultId, doc: social.documentId });
  assert.equal(why.vault.why.basis, 'CARER');
  assert.match(why.vault.why.message, /^You act as this person's carer within their delegation: classes 52, actions READ, DEPOSIT, MANAGE_APPOINTMENTS, until /);
  const content = await api.download(s.carer, `/vaults/${s.vaultId}/documents/${social.documentId}/content`);
  assert.equal(content.status, 200);

  // Refused outside: another class (OUTSIDE_SCOPE), the access history (OUTSIDE_DELEGATION).
  const outside = await api.gql(s.carer, DOC, { id: s.vaultId, doc: medical.documentId });
  assert.equal(outside.body.errors[0].extensions.code, 'FORBIDDEN');
  assert.equal(outside.body.errors[0].extensions.reason, 'OUTSIDE_SCOPE');
  const history = await api.gql(s.carer, `query H($id: ID!) { vault(id: $id) { accessHistory(first: 5) { totalCount } } }`, { id: s.vaultId });
  assert.equal(history.body.errors[0].extensions.reason, 'OUTSIDE_DELEGATION');

  // Deposit within scope; refused outside.
  const added = await deposit(api, s.carer, s.vaultId, { title: 'Quittance de loyer', classCode: '52', typeCode: 'ATTEST-RESID' });
  assert.ok(added.documentId);
  const refused = await api.upload(s.carer, s.vaultId, { title: 'Ordonnance', classCode: '10', typeCode: '11490-0' }, 'x');
  assert.equal(refused.status, 403);

  // An appointment for the person.
  const appointment = await api.ok(s.carer, CREATE, { input: { vaultId: s.vaultId, title: 'Cardiologue', startsAt: inDays(4), endsAt: inDays(4.02), place: 'Hôpital' } });
  assert.deepEqual(appointment.createAppointment.userErrors, []);
  assert.equal(appointment.createAppointment.appointment.status, 'CONFIRMED');

  // The person sees the carer, the carer's accesses (basis CARER) and a notification.
  const seen = await api.ok(s.owner, CARERS, { id: s.vaultId });
  assert.equal(seen.vault.carers[0].carerVaultId, s.carerVaultId);
  assert.equal(seen.vault.carers[0].label, 'ma fille');
  assert.ok(seen.vault.notifications.some((n) => n.kind === 'CARER_DELEGATION_STARTED'));
  const events = await accessHistory(api, s.owner, s.vaultId);
  assert.ok(events.some((e) => e.basis === 'CARER' && e.actorId === s.carerVaultId && e.allowed && e.operation === 'document.create'));

  // The person ends it: at once.
  const ended = await api.ok(s.owner, END, { input: { vaultId: s.vaultId, delegationId: accepted.delegation.id } });
  assert.deepEqual(ended.endCarerDelegation.userErrors, []);
  assert.equal(ended.endCarerDelegation.delegation.status, 'ENDED');
  const after = await api.gql(s.carer, DOCS, { id: s.vaultId });
  assert.equal(after.body.errors[0].extensions.reason, 'BASIS_EXPIRED');
  assert.equal((await api.ok(s.carer, MINE)).myCarerDelegations[0].status, 'ENDED');
});

test('the carer ends it themself; codes are refused alike; input errors name their field', async () => {
  const s = await scene();
  const accepted = await inviteAndAccept(s, ['READ']);
  const ended = await api.ok(s.carer, END, { input: { vaultId: s.vaultId, delegationId: accepted.delegation.id } });
  assert.equal(ended.endCarerDelegation.delegation.endedBy, s.carerVaultId);
  const notifications = await api.ok(s.owner, CARERS, { id: s.vaultId });
  assert.ok(notifications.vault.notifications.some((n) => n.kind === 'CARER_DELEGATION_ENDED'));

  for (const code of ['nonsense', 'ZZZZZZ-ABCDE-ABCDE-A']) {
    const refused = await api.ok(s.carer, ACCEPT, { input: { code } });
    assert.deepEqual(refused.acceptCarerInvitation.userErrors.map((e) => [e.code, e.field]), [['CARER_INVITATION_REFUSED', 'code']]);
  }
  const bad = await api.ok(s.owner, INVITE, { input: { vaultId: s.vaultId, classCodes: ['52'], actions: ['READ'], until: inDays(800) } });
  assert.deepEqual(bad.inviteCarer.userErrors.map((e) => [e.code, e.field]), [['VALIDATION', 'until']]);
  // A carer does not invite other carers.
  const byCarer = await api.gql(s.carer, INVITE, { input: { vaultId: s.vaultId, classCodes: ['52'], actions: ['READ'], until: inDays(3) } });
  assert.equal(byCarer.body.errors[0].extensions.code, 'FORBIDDEN');
});
