// Contact preferences and deliveries over real HTTP: setContactPreferences (validation per field and rule), the
// vault's contactPreferences and deliveries (owner and representatives only), and the support operators'
// outboxDeliveries (records only, never payloads or addresses).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, openVaultAsReferent, addRepresentative, grant, waitFor } from './harness.mjs';

let s;
const api = useServer([], async (ctx) => {
  const operator = await ctx.token('operator', 'op-delivery-tests');
  const support = await ctx.token('operator', 'op-delivery-support', { operatorRoles: 'support' });
  const rollout = await ctx.token('operator', 'op-delivery-rollout', { operatorRoles: 'rollout' });
  const socialWorker = await ctx.professional('SOC-AS');
  const vaultId = await openVaultAsReferent(ctx, socialWorker.token, { minor: true });
  const owner = await ctx.token('patient', vaultId);
  const parentVaultId = await openVaultAsReferent(ctx, socialWorker.token, { familyName: 'Martin', givenNames: 'Parent' });
  const representative = await ctx.token('patient', parentVaultId);
  await addRepresentative(ctx, operator, vaultId, parentVaultId, 'PARENT');
  const doctor = await ctx.professional('10');
  await grant(ctx, owner, vaultId, doctor.rpps);
  s = { vaultId, owner, representative, doctor, support, rollout, socialWorker };
});

const SET = `mutation Set($input: SetContactPreferencesInput!) {
  setContactPreferences(input: $input) {
    contactPreferences { email mobile channels quietHours { start end } }
    userErrors { code field message }
  } }`;
const READ = `query Read($id: ID!) { vault(id: $id) { contactPreferences { email mobile channels quietHours { start end } } } }`;
const DELIVERIES = `query D($id: ID!, $first: Int, $after: String) { vault(id: $id) { deliveries(first: $first, after: $after) {
  edges { cursor node { id kind channel status attempts createdAt settledAt nextAttemptAt } } pageInfo { hasNextPage endCursor } } } }`;
const SUPPORT = `query S($vaultId: ID, $messageId: ID, $first: Int) { outboxDeliveries(vaultId: $vaultId, messageId: $messageId, first: $first) {
  edges { cursor node { id kind channel status attempts } } pageInfo { hasNextPage endCursor } } }`;

const denied = (body, code = 'FORBIDDEN') => {
  assert.equal(body.errors?.[0]?.extensions?.code, code, JSON.stringify(body));
};

test('the person sets their contact preferences: normalised, read back, alerts then listed in deliveries', async () => {
  const input = { vaultId: s.vaultId, email: ' camille@example.fr ', mobile: '06 12 34 56 78', channels: ['SMS', 'EMAIL', 'POST'], quietHours: { start: '21:00', end: '08:00' } };
  const data = await api.ok(s.owner, SET, { input });
  assert.deepEqual(data.setContactPreferences.userErrors, []);
  const expected = { email: 'camille@example.fr', mobile: '+33612345678', channels: ['SMS', 'EMAIL', 'POST'], quietHours: { start: '21:00', end: '08:00' } };
  assert.deepEqual(data.setContactPreferences.contactPreferences, expected);
  assert.deepEqual((await api.ok(s.owner, READ, { id: s.vaultId })).vault.contactPreferences, expected);

  // The representative may change them too; with only email the alert goes by email.
  const byRep = await api.ok(s.representative, SET, { input: { vaultId: s.vaultId, email: 'camille@example.fr', channels: ['EMAIL'] } });
  assert.deepEqual(byRep.setContactPreferences.contactPreferences, { email: 'camille@example.fr', mobile: null, channels: ['EMAIL'], quietHours: null });

  // A professional's first access is an alert beyond the app: one EMAIL delivery, generic kind, no payload.
  await api.ok(s.doctor.token, `query V($id: ID!) { vault(id: $id) { id } }`, { id: s.vaultId });
  const page = await waitFor(async () => {
    const d = (await api.ok(s.owner, DELIVERIES, { id: s.vaultId, first: 10 })).vault.deliveries;
    return d.edges.length > 0 && d.edges[0].node.status === 'SENT' ? d : null;
  }, { timeoutMs: 30_000, message: 'the alert was not delivered' });
  assert.equal(page.edges.length, 1);
  const node = page.edges[0].node;
  assert.deepEqual({ kind: node.kind, channel: node.channel, status: node.status, attempts: node.attempts, nextAttemptAt: node.nextAttemptAt },
    { kind: 'first-access', channel: 'EMAIL', status: 'SENT', attempts: 0, nextAttemptAt: null });
  assert.equal(page.pageInfo.hasNextPage, false);
  assert.equal(page.pageInfo.endCursor, page.edges[0].cursor);
  const after = await api.ok(s.owner, DELIVERIES, { id: s.vaultId, first: 10, after: page.pageInfo.endCursor });
  assert.deepEqual(after.vault.deliveries.edges, []);

  // Support operators see the same record by vault and by message id: no payload, no address.
  const bySupport = await api.ok(s.support, SUPPORT, { vaultId: s.vaultId, first: 10 });
  const ids = bySupport.outboxDeliveries.edges.map((e) => e.node);
  assert.ok(ids.some((n) => n.id === node.id && n.channel === 'EMAIL' && n.status === 'SENT'), JSON.stringify(ids));
  assert.ok(ids.some((n) => n.channel === 'IN_APP' && n.kind === 'first-access'), JSON.stringify(ids));
  const one = await api.ok(s.support, SUPPORT, { messageId: node.id });
  assert.equal(one.outboxDeliveries.edges.length, 1);
  assert.doesNotMatch(JSON.stringify(bySupport), /camille@example\.fr/);
});

test('every broken rule is a userError naming its field and rule', async () => {
  const data = await api.ok(s.owner, SET, { input: { vaultId: s.vaultId, email: 'not-an-email', mobile: '01 23 45 67 89', channels: ['EMAIL', 'EMAIL'], quietHours: { start: '25:00', end: '08:00' } } });
  const errors = data.setContactPreferences.userErrors;
  assert.equal(data.setContactPreferences.contactPreferences, null);
  assert.deepEqual(errors.map((e) => [e.code, e.field]), [['VALIDATION', 'quietHours.start']], JSON.stringify(errors));
  const rules = (await api.ok(s.owner, SET, { input: { vaultId: s.vaultId, email: 'not-an-email', mobile: '01 23 45 67 89', channels: ['EMAIL', 'EMAIL', 'SMS'] } }))
    .setContactPreferences.userErrors;
  assert.deepEqual(rules.map((e) => e.field).sort(), ['channels', 'channels', 'email', 'mobile'], JSON.stringify(rules));
  assert.ok(rules.some((e) => e.field === 'mobile' && e.message.startsWith('INVALID_MOBILE')), JSON.stringify(rules));
  assert.ok(rules.some((e) => e.field === 'channels' && e.message === 'DUPLICATE_CHANNEL: channels names EMAIL twice'), JSON.stringify(rules));
  assert.ok(rules.some((e) => e.field === 'channels' && e.message.startsWith('MOBILE_REQUIRED')), JSON.stringify(rules));
  assert.ok(rules.every((e) => !e.message.includes('not-an-email') && !e.message.includes('01 23')), 'a message repeats the value');
  const tooMany = await api.gql(s.owner, DELIVERIES, { id: s.vaultId, first: 100 });
  assert.equal(tooMany.body.errors?.[0]?.extensions?.code, 'VALIDATION', JSON.stringify(tooMany.body));
  const badCursor = await api.gql(s.owner, DELIVERIES, { id: s.vaultId, first: 5, after: 'nope' });
  assert.equal(badCursor.body.errors?.[0]?.extensions?.code, 'VALIDATION', JSON.stringify(badCursor.body));
});

test('denials: professionals, operators and strangers neither read nor set them; anonymous callers are refused first', async () => {
  const input = { vaultId: s.vaultId, email: 'pirate@example.fr', channels: ['EMAIL'] };
  denied((await api.gql(s.doctor.token, SET, { input })).body);
  denied((await api.gql(s.socialWorker.token, SET, { input })).body);
  denied((await api.gql(s.support, SET, { input })).body);
  denied((await api.gql(null, SET, { input })).body, 'UNAUTHENTICATED');
  for (const caller of [s.doctor.token, s.socialWorker.token]) {
    for (const query of [READ, DELIVERIES]) {
      const { body } = await api.gql(caller, query, { id: s.vaultId });
      denied(body);
      assert.doesNotMatch(JSON.stringify(body), /example\.fr/);
    }
  }
  // outboxDeliveries: support operators only.
  denied((await api.gql(s.rollout, SUPPORT, { vaultId: s.vaultId })).body);
  denied((await api.gql(s.owner, SUPPORT, { vaultId: s.vaultId })).body);
  denied((await api.gql(s.doctor.token, SUPPORT, { vaultId: s.vaultId })).body);
  denied((await api.gql(null, SUPPORT, { vaultId: s.vaultId })).body, 'UNAUTHENTICATED');
  const neither = await api.gql(s.support, SUPPORT, {});
  assert.equal(neither.body.errors?.[0]?.extensions?.code, 'VALIDATION', JSON.stringify(neither.body));
  // Nothing was changed by the refused attempts.
  assert.notEqual((await api.ok(s.owner, READ, { id: s.vaultId })).vault.contactPreferences.email, 'pirate@example.fr');
});
