// Issue 13, part 4: break-glass review over real HTTP. A doctor acting for a hospital breaks the glass; the person sees the
// session (reason, who, when) and flags it; a support operator finds the case and resolves it; the person sees the outcome
// and is notified; the hospital's referent physician (an admin member who is a physician) lists its sessions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, openVaultAsReferent, newFiness } from './harness.mjs';

const api = useServer();

const SESSIONS = `query S($id: ID!) { vault(id: $id) { breakGlassSessions { id rpps profession finess reason startedAt expiresAt
  review { caseId status comment outcome note resolvedAt } } notifications(first: 20) { kind } } }`;
const FLAG = `mutation F($input: FlagBreakGlassSessionInput!) { flagBreakGlassSession(input: $input) {
  session { id review { caseId status } } userErrors { code field message } } }`;
const CASES = `query Q($status: BreakGlassReviewStatus, $first: Int, $after: String) { breakGlassReviews(status: $status, first: $first, after: $after) {
  edges { cursor node { caseId vaultId sessionId rpps reason comment status } } pageInfo { hasNextPage endCursor } } }`;
const RESOLVE = `mutation R($input: ResolveBreakGlassReviewInput!) { resolveBreakGlassReview(input: $input) {
  reviewCase { caseId status outcome note } userErrors { code field message } } }`;
const LIST = `query L($finess: Finess!) { establishment(finess: $finess) { breakGlassSessions(first: 10) { nodes { sessionId vaultId rpps reason reviewStatus } } } }`;

async function scene() {
  const operator = await api.token('operator', 'op-directory', { operatorRoles: 'directory-admin' });
  const finess = newFiness();
  const registered = await api.ok(operator, `mutation E($input: RegisterEstablishmentInput!) { registerEstablishment(input: $input) { userErrors { code field message } } }`,
    { input: { finess, name: 'Hôpital Nord', kind: 'LEGAL_ENTITY', categoryCode: '101', sector: 'HEALTH' } });
  assert.deepEqual(registered.registerEstablishment.userErrors, []);
  const member = async (admin) => {
    const pro = await api.professional('10', { finess });
    const set = await api.ok(operator, `mutation M($input: SetEstablishmentMemberInput!) { setEstablishmentMember(input: $input) { userErrors { code field message } } }`,
      { input: { finess, rpps: pro.rpps, member: true, admin } });
    assert.deepEqual(set.setEstablishmentMember.userErrors, []);
    return pro;
  };
  const emergency = await member(false);
  const referentPhysician = await member(true);
  const social = await api.professional('SOC-AS');
  const vaultId = await openVaultAsReferent(api, social.token, { familyName: 'Urgence' });
  const owner = await api.token('patient', vaultId);
  const broke = await api.ok(emergency.token, `mutation B($input: BreakGlassInput!) { breakGlass(input: $input) { session { id } userErrors { code field message } } }`,
    { input: { vaultId, reason: 'Unconscious patient brought to the emergency room' } });
  assert.deepEqual(broke.breakGlass.userErrors, []);
  return { finess, emergency, referentPhysician, vaultId, owner, sessionId: broke.breakGlass.session.id, support: await api.token('operator', 'op-support', { operatorRoles: 'support' }) };
}

test('break-glass review: the person flags, an operator resolves, the person sees the outcome', async () => {
  const s = await scene();
  const seen = (await api.ok(s.owner, SESSIONS, { id: s.vaultId })).vault.breakGlassSessions;
  assert.equal(seen.length, 1);
  assert.deepEqual([seen[0].id, seen[0].rpps, seen[0].profession, seen[0].finess, seen[0].review], [s.sessionId, s.emergency.rpps, '10', s.finess, null]);

  const flagged = await api.ok(s.owner, FLAG, { input: { vaultId: s.vaultId, sessionId: s.sessionId, comment: "Je n'étais pas à l'hôpital" } });
  assert.deepEqual(flagged.flagBreakGlassSession.userErrors, []);
  const { caseId } = flagged.flagBreakGlassSession.session.review;
  const twice = await api.ok(s.owner, FLAG, { input: { vaultId: s.vaultId, sessionId: s.sessionId } });
  assert.deepEqual(twice.flagBreakGlassSession.userErrors.map((e) => [e.code, e.field]), [['CONFLICT', 'sessionId']]);

  // The operators' queue lists it; a person or a professional may not read it.
  const cases = [];
  let after = null;
  do {
    const page = (await api.ok(s.support, CASES, { status: 'OPEN', first: 50, after })).breakGlassReviews;
    cases.push(...page.edges.map((e) => e.node));
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  const listed = cases.find((c) => c.caseId === caseId);
  assert.deepEqual([listed.vaultId, listed.sessionId, listed.rpps, listed.comment], [s.vaultId, s.sessionId, s.emergency.rpps, "Je n'étais pas à l'hôpital"]);
  assert.equal((await api.gql(s.owner, CASES, {})).body.errors[0].extensions.code, 'FORBIDDEN');
  const tooMany = await api.gql(s.support, CASES, { first: 51 });
  assert.equal(tooMany.body.errors[0].extensions.code, 'VALIDATION');

  // Not an operator: refused; a support operator resolves.
  const byOwner = await api.gql(s.owner, RESOLVE, { input: { caseId, outcome: 'JUSTIFIED', note: 'ok' } });
  assert.equal(byOwner.body.errors[0].extensions.code, 'FORBIDDEN');
  const resolved = await api.ok(s.support, RESOLVE, { input: { caseId, outcome: 'NOT_JUSTIFIED', note: "L'établissement a été saisi." } });
  assert.deepEqual(resolved.resolveBreakGlassReview.userErrors, []);
  assert.equal(resolved.resolveBreakGlassReview.reviewCase.status, 'RESOLVED');
  const again = await api.ok(s.support, RESOLVE, { input: { caseId, outcome: 'JUSTIFIED', note: 'again' } });
  assert.deepEqual(again.resolveBreakGlassReview.userErrors.map((e) => e.code), ['CONFLICT']);

  const after2 = (await api.ok(s.owner, SESSIONS, { id: s.vaultId })).vault;
  assert.deepEqual([after2.breakGlassSessions[0].review.status, after2.breakGlassSessions[0].review.outcome, after2.breakGlassSessions[0].review.note],
    ['RESOLVED', 'NOT_JUSTIFIED', "L'établissement a été saisi."]);
  assert.ok(after2.notifications.some((n) => n.kind === 'BREAK_GLASS_REVIEWED'));
});

test("the establishment's referent physician lists its sessions; others may not; another person cannot flag", async () => {
  const s = await scene();
  const listed = await api.ok(s.referentPhysician.token, LIST, { finess: s.finess });
  assert.deepEqual(listed.establishment.breakGlassSessions.nodes.map((n) => [n.sessionId, n.vaultId, n.rpps, n.reviewStatus]),
    [[s.sessionId, s.vaultId, s.emergency.rpps, null]]);
  const byEmergency = await api.gql(s.emergency.token, LIST, { finess: s.finess });
  assert.equal(byEmergency.body.errors[0].extensions.code, 'FORBIDDEN');

  const stranger = await api.token('patient', s.vaultId.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')));
  const flagged = await api.gql(stranger, FLAG, { input: { vaultId: s.vaultId, sessionId: s.sessionId } });
  assert.equal(flagged.body.errors[0].extensions.code, 'FORBIDDEN');
});
