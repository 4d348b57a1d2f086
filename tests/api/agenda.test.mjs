// Issue 12, part 2: the agenda. The person's side creates appointments; a professional with a basis proposes one, the person
// accepts; a professional without a basis is refused (FORBIDDEN, NO_BASIS); the agenda downloads as iCalendar with the
// bearer token (text/calendar, CRLF, UTC times); bad input comes back as userErrors naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, openVaultAsReferent, grant } from './harness.mjs';

const api = useServer();

const CREATE = `mutation C($input: CreateAppointmentInput!) { createAppointment(input: $input) {
  appointment { appointmentId title startsAt endsAt status reminderOffsetsMinutes timeZone } userErrors { code field message } } }`;
const PROPOSE = `mutation P($input: ProposeAppointmentInput!) { proposeAppointment(input: $input) {
  appointment { appointmentId status awaitingPerson professionalRpps } userErrors { code field message } } }`;
const RESPOND = `mutation R($input: RespondToAppointmentInput!) { respondToAppointment(input: $input) {
  appointment { appointmentId status history { action status actorKind actorId } } userErrors { code field message } } }`;
const CANCEL = `mutation X($input: CancelAppointmentInput!) { cancelAppointment(input: $input) { appointment { status } userErrors { code field message } } }`;
const AGENDA = `query A($id: ID!, $from: DateTimeOffset!, $to: DateTimeOffset!, $first: Int, $after: String) { vault(id: $id) {
  agenda(from: $from, to: $to, first: $first, after: $after) { totalCount edges { cursor node { appointmentId title status } } pageInfo { hasNextPage endCursor } } } }`;
const PREVENTION = `query P($id: ID!) { vault(id: $id) { preventionItems { itemId ruleId dueFrom dueBy dismissed rulesVersion } } }`;
const DISMISS = `mutation D($input: DismissPreventionItemInput!) { dismissPreventionItem(input: $input) { item { itemId dismissed } userErrors { code field message } } }`;

const inDays = (d, minutes = 0) => new Date(Date.now() + d * 86_400_000 + minutes * 60_000).toISOString();

async function scene() {
  const social = await api.professional('SOC-AS');
  const vaultId = await openVaultAsReferent(api, social.token, { familyName: 'Agenda' });
  const owner = await api.token('patient', vaultId);
  const doctor = await api.professional('10');
  await grant(api, owner, vaultId, doctor.rpps);
  const stranger = await api.professional('10');
  return { vaultId, owner, social, doctor, stranger };
}

test('agenda: the person creates, a doctor proposes and the person accepts; a doctor sees only their own', async () => {
  const s = await scene();
  const created = await api.ok(s.owner, CREATE, { input: { vaultId: s.vaultId, title: 'Dentiste', startsAt: inDays(3), endsAt: inDays(3, 30), place: 'Cabinet, 3 rue X' } });
  assert.deepEqual(created.createAppointment.userErrors, []);
  assert.equal(created.createAppointment.appointment.status, 'CONFIRMED');
  assert.deepEqual(created.createAppointment.appointment.reminderOffsetsMinutes, [1440, 120]);
  assert.equal(created.createAppointment.appointment.timeZone, 'Europe/Paris');

  const proposed = await api.ok(s.doctor.token, PROPOSE, { input: { vaultId: s.vaultId, title: 'Bilan', startsAt: inDays(5), endsAt: inDays(5, 20) } });
  assert.deepEqual(proposed.proposeAppointment.userErrors, []);
  const proposal = proposed.proposeAppointment.appointment;
  assert.equal(proposal.status, 'PROPOSED');
  assert.equal(proposal.awaitingPerson, true);
  assert.equal(proposal.professionalRpps, s.doctor.rpps);

  const accepted = await api.ok(s.owner, RESPOND, { input: { vaultId: s.vaultId, appointmentId: proposal.appointmentId, response: 'ACCEPT' } });
  assert.deepEqual(accepted.respondToAppointment.userErrors, []);
  assert.equal(accepted.respondToAppointment.appointment.status, 'CONFIRMED');
  assert.deepEqual(accepted.respondToAppointment.appointment.history.map((h) => h.action), ['proposed', 'accepted']);
  assert.deepEqual(accepted.respondToAppointment.appointment.history.map((h) => [h.actorKind, h.actorId]), [['PROFESSIONAL', s.doctor.rpps], ['PERSON', null]]);

  const range = { id: s.vaultId, from: inDays(-1), to: inDays(30) };
  const mine = await api.ok(s.owner, AGENDA, { ...range, first: 1 });
  assert.equal(mine.vault.agenda.totalCount, 2);
  assert.equal(mine.vault.agenda.pageInfo.hasNextPage, true);
  const rest = await api.ok(s.owner, AGENDA, { ...range, first: 1, after: mine.vault.agenda.pageInfo.endCursor });
  assert.equal(rest.vault.agenda.edges[0].node.appointmentId, proposal.appointmentId);

  const doctors = await api.ok(s.doctor.token, AGENDA, range);
  assert.deepEqual(doctors.vault.agenda.edges.map((e) => e.node.appointmentId), [proposal.appointmentId]);

  const cancelled = await api.ok(s.doctor.token, CANCEL, { input: { vaultId: s.vaultId, appointmentId: proposal.appointmentId } });
  assert.equal(cancelled.cancelAppointment.appointment.status, 'CANCELLED');
});

test('agenda: denials and validation carry codes and fields', async () => {
  const s = await scene();
  const refused = await api.gql(s.stranger.token, PROPOSE, { input: { vaultId: s.vaultId, title: 'x', startsAt: inDays(2), endsAt: inDays(2, 10) } });
  assert.equal(refused.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(refused.body));
  assert.equal(refused.body.errors[0].extensions.reason, 'NO_BASIS');

  const manage = await api.gql(s.doctor.token, CREATE, { input: { vaultId: s.vaultId, title: 'x', startsAt: inDays(2), endsAt: inDays(2, 10) } });
  assert.equal(manage.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(manage.body));
  assert.equal(manage.body.errors[0].extensions.reason, 'NOT_PERMITTED');

  const past = await api.ok(s.owner, CREATE, { input: { vaultId: s.vaultId, title: 'x', startsAt: inDays(-1), endsAt: inDays(-1, 10) } });
  assert.deepEqual(past.createAppointment.userErrors.map((e) => [e.code, e.field]), [['VALIDATION', 'startsAt']]);
  const offsets = await api.ok(s.owner, CREATE, { input: { vaultId: s.vaultId, title: 'x', startsAt: inDays(2), endsAt: inDays(2, 10), reminderOffsetsMinutes: [1] } });
  assert.deepEqual(offsets.createAppointment.userErrors.map((e) => e.field), ['reminderOffsetsMinutes']);

  const tooWide = await api.gql(s.owner, AGENDA, { id: s.vaultId, from: inDays(0), to: inDays(1000) });
  assert.equal(tooWide.body.errors?.[0]?.extensions?.code, 'VALIDATION', JSON.stringify(tooWide.body));

  const anonymous = await api.gql(null, AGENDA, { id: s.vaultId, from: inDays(0), to: inDays(10) });
  assert.ok(anonymous.body.errors?.length > 0);
});

test('agenda: the iCalendar download needs the bearer token and is RFC 5545 text', async () => {
  const s = await scene();
  await api.ok(s.owner, CREATE, { input: { vaultId: s.vaultId, title: 'Radiologie; salle 2, bâtiment B', startsAt: inDays(4), endsAt: inDays(4, 45), place: 'Hôpital' } });

  const response = await fetch(`${api.baseUrl}/vaults/${s.vaultId}/agenda.ics`, { headers: api.auth(s.owner) });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^text\/calendar/);
  const text = await response.text();
  assert.ok(text.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n'), text);
  assert.ok(text.endsWith('END:VCALENDAR\r\n'));
  assert.match(text, /\r\nDTSTART:\d{8}T\d{6}Z\r\n/);
  assert.ok(text.includes('SUMMARY:Radiologie\\; salle 2\\, bâtiment B'), text);
  assert.ok(text.includes('BEGIN:VALARM'));

  const anonymous = await fetch(`${api.baseUrl}/vaults/${s.vaultId}/agenda.ics`);
  assert.equal(anonymous.status, 401);
  const stranger = await fetch(`${api.baseUrl}/vaults/${s.vaultId}/agenda.ics`, { headers: api.auth(s.stranger.token) });
  assert.equal(stranger.status, 403);
  assert.equal((await stranger.json()).errors[0].extensions.code, 'FORBIDDEN');
});

test('agenda: prevention items from birth date and sex; a dismissal sticks', async () => {
  const s = await scene();
  const data = await api.ok(s.owner, PREVENTION, { id: s.vaultId });
  // The harness' person: a woman born in 1984.
  const cervical = data.vault.preventionItems.find((i) => i.ruleId === 'cervical-screening-hpv');
  assert.ok(cervical, JSON.stringify(data.vault.preventionItems));
  assert.equal(cervical.dismissed, false);
  const dismissed = await api.ok(s.owner, DISMISS, { input: { vaultId: s.vaultId, itemId: cervical.itemId } });
  assert.deepEqual(dismissed.dismissPreventionItem.userErrors, []);
  const again = await api.ok(s.owner, PREVENTION, { id: s.vaultId });
  assert.equal(again.vault.preventionItems.find((i) => i.itemId === cervical.itemId).dismissed, true);
  const unknown = await api.ok(s.owner, DISMISS, { input: { vaultId: s.vaultId, itemId: 'nope/1999' } });
  assert.deepEqual(unknown.dismissPreventionItem.userErrors.map((e) => [e.code, e.field]), [['NOT_FOUND', 'itemId']]);
});
