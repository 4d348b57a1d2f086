// Issue 11, part 1: directory registration. Membership terms (start, end) decide whether a professional's token
// acts for their establishment, through the API; the bulk mutation is bounded and idempotent.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, grant, openVaultAsReferent, newNir, newFiness, newRpps } from './harness.mjs';

const api = useServer();

const REGISTER_ESTABLISHMENT = `mutation M($input: RegisterEstablishmentInput!) {
  registerEstablishment(input: $input) { establishment { finess town postalCode departement } userErrors { code field message } } }`;
const SET_MEMBER = `mutation M($input: SetEstablishmentMemberInput!) {
  setEstablishmentMember(input: $input) { establishment { members } userErrors { code field message } } }`;
const READ = `query Q($id: ID!) { viewer { establishmentFiness } vault(id: $id) { basis } }`;
const RECORD = `query P($rpps: Rpps!) { professional(rpps: $rpps) { memberships { finess role startsAt endsAt active admin } } }`;
const BULK = `mutation B($input: RegisterDirectoryEntriesInput!) { registerDirectoryEntries(input: $input) {
  report { replayed accepted updated unchanged rejected establishments { index key outcome field rule code } professionals { key outcome field rule code } }
  userErrors { code field message } } }`;

const day = 24 * 3600 * 1000;
const at = (offsetDays) => new Date(Date.now() + offsetDays * day).toISOString();

describe('membership start and end change access over the API', () => {
  test("an establishment grant applies only while the member's membership is active", async () => {
    const admin = await api.token('operator', 'op-directory', { operatorRoles: 'directory-admin' });
    const finess = newFiness();
    const registered = await api.ok(admin, REGISTER_ESTABLISHMENT, {
      input: { finess, name: 'Centre médico-social Éole', kind: 'LEGAL_ENTITY', categoryCode: '411', sector: 'SOCIAL', town: 'Besançon', postalCode: '25000' },
    });
    assert.deepEqual(registered.registerEstablishment.userErrors, []);
    assert.deepEqual(registered.registerEstablishment.establishment, { finess, town: 'Besançon', postalCode: '25000', departement: '25' });

    const referent = await api.professional('SOC-AS');
    const vaultId = await openVaultAsReferent(api, referent.token, { nir: newNir() });
    const owner = await api.token('patient', vaultId);
    await grant(api, owner, vaultId, undefined, { finess });
    const member = await api.professional('SOC-AS', { finess });

    const setMember = async (startsAt, endsAt) => {
      const data = await api.ok(admin, SET_MEMBER, { input: { finess, rpps: member.rpps, member: true, role: 'assistante sociale', startsAt, endsAt } });
      assert.deepEqual(data.setEstablishmentMember.userErrors, []);
    };
    const read = () => api.gql(member.token, READ, { id: vaultId });

    // Not started yet: the token's establishment does not count, the grant does not apply.
    await setMember(at(1), null);
    let r = await read();
    assert.equal(r.body.data.viewer.establishmentFiness, null);
    assert.equal(r.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(r.body));

    // Active: it counts, the grant to the establishment applies to its member as the care team (a rule of the matrix).
    await setMember(at(-1), at(30));
    r = await read();
    assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
    assert.equal(r.body.data.viewer.establishmentFiness, finess);
    assert.equal(r.body.data.vault.basis, 'CARE_TEAM');
    const record = await api.ok(admin, RECORD, { rpps: member.rpps });
    assert.deepEqual(record.professional.memberships.map(({ finess: f, role, active, admin: a }) => ({ f, role, active, a })),
      [{ f: finess, role: 'assistante sociale', active: true, a: false }]);
    assert.ok(record.professional.memberships[0].startsAt && record.professional.memberships[0].endsAt);

    // Ended: no longer.
    await setMember(at(-30), at(-1));
    r = await read();
    assert.equal(r.body.data.viewer.establishmentFiness, null);
    assert.equal(r.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(r.body));

    // An end before the start names its field.
    const bad = await api.ok(admin, SET_MEMBER, { input: { finess, rpps: member.rpps, member: true, startsAt: at(2), endsAt: at(1) } });
    assert.deepEqual(bad.setEstablishmentMember.userErrors.map((e) => [e.code, e.field]), [['VALIDATION', 'endsAt']]);
  });
});

describe('registerDirectoryEntries', () => {
  test('per-row results, idempotent per key, bounded', async () => {
    const admin = await api.token('operator', 'op-bulk', { operatorRoles: 'directory-admin' });
    const finess = newFiness();
    const rpps = newRpps();
    const input = {
      idempotencyKey: `k-${rpps}`,
      establishments: [
        { finess, name: 'EHPAD Les Tilleuls', kind: 'LEGAL_ENTITY', categoryCode: '500', sector: 'MEDICO_SOCIAL', town: 'Rodez', postalCode: '12000' },
        { finess: '750000001', name: 'Mauvais', kind: 'LEGAL_ENTITY', categoryCode: '500', sector: 'MEDICO_SOCIAL' },
      ],
      professionals: [
        { identifier: rpps, displayName: 'Dr Noël Brûlé', professionCode: '10', sector: 'HEALTH', memberships: [{ finess, role: 'médecin coordonnateur', admin: true }] },
        { identifier: newRpps(), displayName: 'Dr Sans Lien', professionCode: '10', sector: 'HEALTH', memberships: [{ finess: newFiness() }] },
      ],
    };
    const first = (await api.ok(admin, BULK, { input })).registerDirectoryEntries;
    assert.deepEqual(first.userErrors, []);
    assert.deepEqual([first.report.replayed, first.report.accepted, first.report.rejected], [false, 2, 2]);
    assert.deepEqual(first.report.establishments.map((e) => [e.outcome, e.field]), [['ACCEPTED', null], ['REJECTED', 'finess']]);
    assert.deepEqual(first.report.professionals.map((p) => [p.outcome, p.field, p.code]), [['ACCEPTED', null, null], ['REJECTED', 'memberships[0].finess', 'NOT_FOUND']]);

    const replay = (await api.ok(admin, BULK, { input })).registerDirectoryEntries;
    assert.equal(replay.report.replayed, true);
    assert.deepEqual(replay.report.professionals, first.report.professionals);

    const changed = (await api.ok(admin, BULK, { input: { ...input, professionals: input.professionals.slice(0, 1) } })).registerDirectoryEntries;
    assert.equal(changed.report, null);
    assert.deepEqual(changed.userErrors.map((e) => [e.code, e.field]), [['IDEMPOTENCY_CONFLICT', 'idempotencyKey']]);

    // Another key, the same rows: applied again, nothing changes.
    const again = (await api.ok(admin, BULK, { input: { ...input, idempotencyKey: `k2-${rpps}` } })).registerDirectoryEntries;
    assert.deepEqual([again.report.replayed, again.report.unchanged, again.report.accepted], [false, 2, 0]);

    const many = Array.from({ length: 501 }, () => input.establishments[0]);
    const bound = (await api.ok(admin, BULK, { input: { idempotencyKey: 'big', establishments: many } })).registerDirectoryEntries;
    assert.deepEqual(bound.userErrors.map((e) => [e.code, e.field]), [['VALIDATION', 'establishments']]);

    const support = await api.token('operator', 'op-support', { operatorRoles: 'support' });
    const denied = await api.gql(support, BULK, { input });
    assert.equal(denied.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
  });
});
