// Issue 11, part 3: establishments that accompany people. An establishment's members see the people it accompanies
// (an active referent mandate names it) and their referents; a mandate is handed over or ended and the person sees it
// in their access history and a notification; members act under the establishment's grants and accompaniments only while their
// membership is active; the care-team presumption shows in `why` as CARE_TEAM with a sentence naming the establishment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, newFiness, openVaultAsReferent, grant, accessHistory } from './harness.mjs';

const api = useServer();

const REGISTER_ESTABLISHMENT = `mutation M($input: RegisterEstablishmentInput!) { registerEstablishment(input: $input) { establishment { finess } userErrors { code field message } } }`;
const SET_MEMBER = `mutation M($input: SetEstablishmentMemberInput!) { setEstablishmentMember(input: $input) { establishment { members } userErrors { code field message } } }`;
const ACCOMPANIED = `query Accompanied($finess: Finess!, $first: Int, $after: String) {
  establishment(finess: $finess) {
    name
    accompaniedPeople(first: $first, after: $after) {
      totalCount
      edges { cursor node { vaultId referents { rpps displayName since expiresAt } vault { vaultId basis } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;
const WHY = `query Why($id: ID!, $action: VaultAction!) { vault(id: $id) { why(action: $action) { allowed basis reason message } } }`;
const WHY_ONLY = `query Why($id: ID!) { vault(id: $id) { vaultId } }`;
const HAND_OVER = `mutation HandOver($input: HandOverAccompanimentInput!) {
  handOverAccompaniment(input: $input) { referent { rpps establishmentFiness handedOverAt consent { expiresAt } } userErrors { code field message } }
}`;
const NOTIFICATIONS = `query Notifications($id: ID!) { vault(id: $id) { notifications(first: 20) { kind createdAt payload {
  __typename
  ... on AccompanimentHandedOverNotice { finess establishmentName fromRpps fromName toRpps toName by at }
  ... on AccompanimentEndedNotice { finess establishmentName by at }
} } } }`;
const END = `mutation End($input: VaultRefInput!) { endAccompaniment(input: $input) { endedReferents { rpps revokedAt } userErrors { code field message } } }`;

/** An establishment with members: a referent, a colleague (social), an admin (social) and a nurse. */
async function establishment() {
  const directoryAdmin = await api.token('operator', 'op-directory', { operatorRoles: 'directory-admin' });
  const finess = newFiness();
  const registered = await api.ok(directoryAdmin, REGISTER_ESTABLISHMENT, { input: { finess, name: 'SAVS Belleville', kind: 'LEGAL_ENTITY', categoryCode: '446', sector: 'MEDICO_SOCIAL' } });
  assert.deepEqual(registered.registerEstablishment.userErrors, []);
  const member = async (profession, admin = false) => {
    const pro = await api.professional(profession, { finess });
    const set = await api.ok(directoryAdmin, SET_MEMBER, { input: { finess, rpps: pro.rpps, member: true, admin } });
    assert.deepEqual(set.setEstablishmentMember.userErrors, []);
    return pro;
  };
  const leave = async (pro) => {
    const set = await api.ok(directoryAdmin, SET_MEMBER, { input: { finess, rpps: pro.rpps, member: false } });
    assert.deepEqual(set.setEstablishmentMember.userErrors, []);
  };
  return { finess, referent: await member('SOC-AS'), colleague: await member('SOC-ES'), admin: await member('SOC-AS', true), nurse: await member('60'), leave };
}

const forbidden = (body, reason) => {
  assert.equal(body.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(body));
  if (reason) assert.equal(body.errors[0].extensions.reason, reason, JSON.stringify(body));
};

test('accompaniment: a member lists the people the establishment accompanies with their referents; others are refused', async () => {
  const e = await establishment();
  const first = await openVaultAsReferent(api, e.referent.token, { familyName: 'Premier' });
  const second = await openVaultAsReferent(api, e.referent.token, { familyName: 'Second' });

  const seen = [];
  let after = null;
  for (;;) {
    const data = await api.ok(e.colleague.token, ACCOMPANIED, { finess: e.finess, first: 1, after });
    const people = data.establishment.accompaniedPeople;
    assert.equal(people.totalCount, 2);
    for (const { cursor, node } of people.edges) {
      seen.push(node.vaultId);
      assert.equal(cursor, node.vaultId);
      assert.deepEqual(node.referents.map((r) => r.rpps), [e.referent.rpps]);
      assert.equal(node.referents[0].displayName, `Professionnel ${e.referent.rpps}`);
      assert.ok(Date.parse(node.referents[0].expiresAt) > Date.now());
      // The vault, decided by the vault: the colleague sees it as the care team.
      assert.equal(node.vault.basis, 'CARE_TEAM');
    }
    if (!people.pageInfo.hasNextPage) break;
    after = people.pageInfo.endCursor;
  }
  assert.deepEqual(seen, [first, second].sort());

  // A professional whose token claims the establishment but who is not its member: FORBIDDEN, nothing listed.
  const outsider = await api.professional('SOC-AS', { finess: e.finess });
  const refused = await api.gql(outsider.token, ACCOMPANIED, { finess: e.finess });
  forbidden(refused.body, 'NOT_PERMITTED');
  assert.equal(refused.body.data?.establishment, null);
  // A member of another establishment, and the person themself: FORBIDDEN.
  const other = await establishment();
  forbidden((await api.gql(other.colleague.token, ACCOMPANIED, { finess: e.finess })).body, 'NOT_PERMITTED');
  forbidden((await api.gql(await api.token('patient', first), ACCOMPANIED, { finess: e.finess })).body, 'NOT_PERMITTED');
  // Directory-admin operators may look; a bounded page.
  const directoryAdmin = await api.token('operator', 'op-directory', { operatorRoles: 'directory-admin' });
  assert.equal((await api.ok(directoryAdmin, `query($f: Finess!) { establishment(finess: $f) { accompaniedPeople { totalCount } } }`, { f: e.finess })).establishment.accompaniedPeople.totalCount, 2);
  const tooMany = await api.gql(e.colleague.token, ACCOMPANIED, { finess: e.finess, first: 51 });
  assert.equal(tooMany.body.errors?.[0]?.extensions?.code, 'VALIDATION', JSON.stringify(tooMany.body));
  assert.match(tooMany.body.errors[0].message, /first/);
});

test('accompaniment: `why` shows the care-team basis and names the establishment, by accompaniment and by grant', async () => {
  const e = await establishment();
  const vaultId = await openVaultAsReferent(api, e.referent.token, { familyName: 'Pourquoi' });
  const byAccompaniment = (await api.ok(e.colleague.token, WHY, { id: vaultId, action: 'READ_VAULT' })).vault.why;
  assert.equal(byAccompaniment.allowed, true);
  assert.equal(byAccompaniment.basis, 'CARE_TEAM');
  assert.match(byAccompaniment.message, new RegExp(`${e.finess}.*accompanies`));

  // The person gives the establishment access: its nurse reads as the care team, within the matrix.
  const owner = await api.token('patient', vaultId);
  await grant(api, owner, vaultId, undefined, { rpps: undefined, finess: e.finess });
  const byGrant = (await api.ok(e.nurse.token, WHY, { id: vaultId, action: 'READ_VAULT' })).vault.why;
  assert.equal(byGrant.basis, 'CARE_TEAM');
  assert.match(byGrant.message, new RegExp(`${e.finess}.*gave access`));
  assert.ok((await api.ok(e.nurse.token, WHY_ONLY, { id: vaultId })).vault.vaultId);

  // The person's history records the care-team basis of the reads.
  const history = await accessHistory(api, owner, vaultId);
  assert.ok(history.some((h) => h.actorId === e.nurse.rpps && h.basis === 'CARE_TEAM' && h.allowed), JSON.stringify(history.slice(0, 5)));
});

test('accompaniment: a member acts under the establishment only while a member; once the membership ends, NO_BASIS and FORBIDDEN', async () => {
  const e = await establishment();
  const vaultId = await openVaultAsReferent(api, e.referent.token, { familyName: 'Membre' });
  const owner = await api.token('patient', vaultId);
  await grant(api, owner, vaultId, undefined, { rpps: undefined, finess: e.finess });
  assert.equal((await api.ok(e.nurse.token, WHY, { id: vaultId, action: 'READ_VAULT' })).vault.why.basis, 'CARE_TEAM');
  assert.equal((await api.ok(e.nurse.token, ACCOMPANIED, { finess: e.finess })).establishment.accompaniedPeople.totalCount, 1);

  await e.leave(e.nurse);
  // The same token (it still says finess): the directory no longer lists the membership, so the establishment is dropped.
  // (`why` is asked on a vault one may see: here the vault itself answers FORBIDDEN with the reason.)
  forbidden((await api.gql(e.nurse.token, WHY, { id: vaultId, action: 'READ_VAULT' })).body, 'NO_BASIS');
  forbidden((await api.gql(e.nurse.token, WHY_ONLY, { id: vaultId })).body, 'NO_BASIS');
  forbidden((await api.gql(e.nurse.token, ACCOMPANIED, { finess: e.finess })).body, 'NOT_PERMITTED');
});

test('accompaniment: hand-over keeps the consent, end revokes every mandate; both in the person\'s history and the list', async () => {
  const e = await establishment();
  const vaultId = await openVaultAsReferent(api, e.referent.token, { familyName: 'Relais' });
  const owner = await api.token('patient', vaultId);
  const expiresAt = (await api.ok(owner, `query($id: ID!) { vault(id: $id) { referents { consent { expiresAt } } } }`, { id: vaultId })).vault.referents[0].consent.expiresAt;

  // A member who is not admin and not the referent may not hand it over.
  forbidden((await api.gql(e.nurse.token, HAND_OVER, { input: { vaultId, fromRpps: e.referent.rpps, toRpps: e.nurse.rpps } })).body, 'NOT_PERMITTED');
  // The new referent must be a social or médico-social member: a nurse is refused with a field.
  const toNurse = (await api.ok(e.admin.token, HAND_OVER, { input: { vaultId, fromRpps: e.referent.rpps, toRpps: e.nurse.rpps } })).handOverAccompaniment;
  assert.equal(toNurse.userErrors[0]?.field, 'toRpps', JSON.stringify(toNurse));

  const handed = (await api.ok(e.admin.token, HAND_OVER, { input: { vaultId, fromRpps: e.referent.rpps, toRpps: e.colleague.rpps } })).handOverAccompaniment;
  assert.deepEqual(handed.userErrors, []);
  assert.equal(handed.referent.rpps, e.colleague.rpps);
  assert.equal(handed.referent.establishmentFiness, e.finess);
  assert.equal(handed.referent.consent.expiresAt, expiresAt);
  assert.ok(handed.referent.handedOverAt);
  const listed = (await api.ok(e.admin.token, ACCOMPANIED, { finess: e.finess })).establishment.accompaniedPeople;
  assert.deepEqual(listed.edges.map((x) => x.node.referents.map((r) => r.rpps)), [[e.colleague.rpps]]);
  assert.equal(listed.edges[0].node.referents[0].since, handed.referent.handedOverAt);

  // The new referent ends the accompaniment.
  const ended = (await api.ok(e.colleague.token, END, { input: { vaultId } })).endAccompaniment;
  assert.deepEqual(ended.userErrors, []);
  assert.deepEqual(ended.endedReferents.map((r) => r.rpps), [e.colleague.rpps]);
  assert.equal((await api.ok(e.admin.token, ACCOMPANIED, { finess: e.finess })).establishment.accompaniedPeople.totalCount, 0);
  forbidden((await api.gql(e.admin.token, END, { input: { vaultId } })).body, 'NO_BASIS');

  // The person sees who handed over, who ended, and when.
  const history = await accessHistory(api, owner, vaultId);
  const handOver = history.find((h) => h.operation === 'accompaniment.hand-over' && h.allowed);
  assert.equal(handOver.actorId, e.admin.rpps);
  assert.equal(handOver.target, `mandate:${e.referent.rpps}>${e.colleague.rpps}`);
  assert.equal(handOver.basis, 'CARE_TEAM');
  assert.ok(handOver.at);
  const end = history.find((h) => h.operation === 'accompaniment.end' && h.allowed);
  assert.equal(end.actorId, e.colleague.rpps);
  assert.equal(end.basis, 'REFERENT');
  assert.ok(history.some((h) => h.operation === 'accompaniment.hand-over' && !h.allowed && h.actorId === e.nurse.rpps));

  // The person is notified once of each: the establishment, the former and new referent, who and when; then the end.
  const notifications = (await api.ok(owner, NOTIFICATIONS, { id: vaultId })).vault.notifications;
  const handOvers = notifications.filter((n) => n.kind === 'ACCOMPANIMENT_HANDED_OVER');
  assert.equal(handOvers.length, 1, JSON.stringify(notifications));
  assert.deepEqual(handOvers[0].payload, {
    __typename: 'AccompanimentHandedOverNotice', finess: e.finess, establishmentName: 'SAVS Belleville',
    fromRpps: e.referent.rpps, fromName: `Professionnel ${e.referent.rpps}`, toRpps: e.colleague.rpps, toName: `Professionnel ${e.colleague.rpps}`,
    by: e.admin.rpps, at: handed.referent.handedOverAt,
  });
  const ends = notifications.filter((n) => n.kind === 'ACCOMPANIMENT_ENDED');
  assert.equal(ends.length, 1, JSON.stringify(notifications));
  assert.deepEqual(ends[0].payload, { __typename: 'AccompanimentEndedNotice', finess: e.finess, establishmentName: 'SAVS Belleville', by: e.colleague.rpps, at: ended.endedReferents[0].revokedAt });
  // Newest first: the end after the hand-over.
  assert.ok(notifications.indexOf(ends[0]) < notifications.indexOf(handOvers[0]));
});
