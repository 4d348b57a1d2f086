// Issue 14, part P: the medical profile over real HTTP. The person adds an entry; a doctor with a grant adds and reads;
// a social worker (the person's referent) sees no section; an entry the person hides is invisible to the doctor (but
// shown hidden to the person); denials are FORBIDDEN with the evaluator's reason and sentence; bad input comes back as
// userErrors naming the field and rule; each read is one line of the access history; the person is told of the doctor's entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, openVaultAsReferent, grant, accessHistory, globalId } from './harness.mjs';

const api = useServer();

const ENTRY = `fragment E on ProfileEntry { id entryId section author { kind id } recordedAt source note hidden
  treatment { medication { system code display } status dosage startedOn endedOn reason }
  condition { code { system code display } kind status onsetOn resolvedOn }
  allergy { substance { system code display } category criticality status reaction onsetOn }
  vaccination { vaccine { system code display } administeredOn targets doseNumber lotNumber }
  measurement { kind value unit measuredAt secondValue } }`;
const ADD = `mutation Add($input: AddProfileEntryInput!) { addProfileEntry(input: $input) { entry { ...E } userErrors { code field message } } } ${ENTRY}`;
const HIDE = `mutation Hide($input: HideProfileEntryInput!) { hideProfileEntry(input: $input) { entry { entryId hidden } userErrors { code field message } } }`;
const REMOVE = `mutation Remove($input: RemoveProfileEntryInput!) { removeProfileEntry(input: $input) { removedEntryId userErrors { code field message } } }`;
const PROFILE = `query Profile($id: ID!, $section: ProfileSection, $first: Int, $after: String) { vault(id: $id) {
  profile(section: $section, first: $first, after: $after) { totalCount edges { cursor node { ...E } } pageInfo { hasNextPage endCursor } } } } ${ENTRY}`;
const NODE = `query Node($id: ID!) { node(id: $id) { id ... on ProfileEntry { entryId section hidden } } }`;
const NOTICES = `query N($id: ID!) { vault(id: $id) { notifications(first: 50) { kind payload { ... on ProfileEntryAddedNotice { entryId section authorKind by } } } } }`;
const PREVENTION = `query P($id: ID!) { vault(id: $id) { preventionItems { ruleId status doneOn } } }`;

const today = () => new Date().toISOString().slice(0, 10);

async function scene() {
  const social = await api.professional('SOC-AS');
  const vaultId = await openVaultAsReferent(api, social.token, { familyName: 'Profil' });
  const owner = await api.token('patient', vaultId);
  const doctor = await api.professional('10');
  await grant(api, owner, vaultId, doctor.rpps);
  const stranger = await api.professional('10');
  return { vaultId, owner, social, doctor, stranger };
}

const allergy = (vaultId) => ({
  vaultId, section: 'ALLERGIES', source: '  carnet de santé  ',
  allergy: { substance: { system: 'text', display: 'Pénicilline' }, category: 'MEDICATION', criticality: 'HIGH', reaction: 'urticaire' },
});

const treatment = (vaultId) => ({
  vaultId, section: 'TREATMENTS', source: 'ordonnance', note: 'à prendre le matin',
  treatment: { medication: { system: 'http://www.whocc.no/atc', code: 'C09AA05', display: 'ramipril' }, dosage: '5 mg par jour', startedOn: today() },
});

test('profile: the person and a granted doctor add, the doctor reads, the person is notified, each read is in the history', async () => {
  const s = await scene();
  const own = await api.ok(s.owner, ADD, { input: allergy(s.vaultId) });
  assert.deepEqual(own.addProfileEntry.userErrors, []);
  const mine = own.addProfileEntry.entry;
  assert.match(mine.entryId, /^pe-/);
  assert.deepEqual([mine.section, mine.author.kind, mine.source, mine.hidden], ['ALLERGIES', 'PERSON', 'carnet de santé', false]);
  assert.deepEqual(mine.allergy, { substance: { system: 'text', code: '', display: 'Pénicilline' }, category: 'MEDICATION', criticality: 'HIGH', status: 'ACTIVE', reaction: 'urticaire', onsetOn: null });
  assert.equal(mine.treatment, null);

  const added = await api.ok(s.doctor.token, ADD, { input: treatment(s.vaultId) });
  assert.deepEqual(added.addProfileEntry.userErrors, []);
  const prescribed = added.addProfileEntry.entry;
  assert.deepEqual(prescribed.author, { kind: 'PROFESSIONAL', id: s.doctor.rpps });
  assert.equal(prescribed.treatment.status, 'ACTIVE');

  const read = await api.ok(s.doctor.token, PROFILE, { id: s.vaultId, first: 1 });
  assert.equal(read.vault.profile.totalCount, 2);
  assert.equal(read.vault.profile.edges[0].node.entryId, prescribed.entryId, 'newest first');
  assert.equal(read.vault.profile.pageInfo.hasNextPage, true);
  const rest = await api.ok(s.doctor.token, PROFILE, { id: s.vaultId, first: 1, after: read.vault.profile.pageInfo.endCursor });
  assert.equal(rest.vault.profile.edges[0].node.entryId, mine.entryId);
  const allergies = await api.ok(s.doctor.token, PROFILE, { id: s.vaultId, section: 'ALLERGIES' });
  assert.deepEqual(allergies.vault.profile.edges.map((e) => e.node.entryId), [mine.entryId]);

  // A Relay node.
  const node = await api.ok(s.doctor.token, NODE, { id: prescribed.id });
  assert.deepEqual(node.node, { id: globalId('ProfileEntry', `${s.vaultId}/${prescribed.entryId}`), entryId: prescribed.entryId, section: 'TREATMENTS', hidden: false });

  const notices = await api.ok(s.owner, NOTICES, { id: s.vaultId });
  const profileNotices = notices.vault.notifications.filter((n) => n.kind === 'PROFILE_ENTRY_ADDED');
  assert.deepEqual(profileNotices.map((n) => n.payload), [{ entryId: prescribed.entryId, section: 'TREATMENTS', authorKind: 'PROFESSIONAL', by: s.doctor.rpps }]);

  const history = await accessHistory(api, s.owner, s.vaultId);
  assert.ok(history.some((e) => e.operation === 'profile.list' && e.actorId === s.doctor.rpps && e.target === 'profile:allergies;shown=1' && e.allowed));
  assert.ok(history.some((e) => e.operation === 'profile.add' && e.actorId === s.doctor.rpps && e.target === `profile:treatments/${prescribed.entryId}` && e.basis === 'GRANT'));
  assert.ok(!history.some((e) => /ramipril|Pénicilline/i.test(e.target)), 'no clinical content in the history');

  // The prevention items carry their status (nothing covers this person's screening).
  const prevention = await api.ok(s.owner, PREVENTION, { id: s.vaultId });
  assert.ok(prevention.vault.preventionItems.every((i) => i.status === 'DUE' && i.doneOn === null));
});

test('profile: a social worker sees no section, a stranger is refused with the reason and sentence, a nurse cannot record treatments', async () => {
  const s = await scene();
  const own = await api.ok(s.owner, ADD, { input: allergy(s.vaultId) });
  const entry = own.addProfileEntry.entry;

  const social = await api.ok(s.social.token, PROFILE, { id: s.vaultId });
  assert.equal(social.vault.profile.totalCount, 0, 'the matrix shows social workers no section');
  const socialNode = await api.gql(s.social.token, NODE, { id: entry.id });
  assert.equal(socialNode.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(socialNode.body));
  assert.equal(socialNode.body.errors[0].extensions.reason, 'PROFESSION_NOT_HABILITATED');

  const stranger = await api.gql(s.stranger.token, PROFILE, { id: s.vaultId });
  assert.equal(stranger.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(stranger.body));
  assert.match(stranger.body.errors[0].message, /no access to this vault/);
  const strangerAdd = await api.gql(s.stranger.token, ADD, { input: treatment(s.vaultId) });
  assert.equal(strangerAdd.body.errors?.[0]?.extensions?.reason, 'NO_BASIS', JSON.stringify(strangerAdd.body));

  const nurse = await api.professional('60');
  await grant(api, s.owner, s.vaultId, nurse.rpps);
  const refused = await api.gql(nurse.token, ADD, { input: treatment(s.vaultId) });
  assert.equal(refused.body.errors?.[0]?.extensions?.reason, 'PROFESSION_NOT_HABILITATED', JSON.stringify(refused.body));
  const measured = await api.ok(nurse.token, ADD, { input: { vaultId: s.vaultId, section: 'MEASUREMENTS',
    measurement: { kind: 'BLOOD_PRESSURE', value: 132, secondValue: 84, measuredAt: new Date(Date.now() - 60_000).toISOString() } } });
  assert.deepEqual(measured.addProfileEntry.userErrors, []);
  assert.deepEqual([measured.addProfileEntry.entry.measurement.unit, measured.addProfileEntry.entry.measurement.secondValue], ['mm[Hg]', 84]);

  // Only the author or the person removes.
  const notAuthor = await api.gql(s.doctor.token, REMOVE, { input: { vaultId: s.vaultId, entryId: measured.addProfileEntry.entry.entryId } });
  assert.equal(notAuthor.body.errors?.[0]?.extensions?.reason, 'NOT_ENTRY_AUTHOR', JSON.stringify(notAuthor.body));
  const removed = await api.ok(nurse.token, REMOVE, { input: { vaultId: s.vaultId, entryId: measured.addProfileEntry.entry.entryId } });
  assert.deepEqual(removed.removeProfileEntry, { removedEntryId: measured.addProfileEntry.entry.entryId, userErrors: [] });
});

test('profile: an entry the person hides is invisible to the doctor and shown hidden to the person', async () => {
  const s = await scene();
  const own = (await api.ok(s.owner, ADD, { input: { vaultId: s.vaultId, section: 'CONDITIONS',
    condition: { code: { system: 'http://hl7.org/fhir/sid/icd-10', code: 'E11.9', display: 'Diabète de type 2' }, kind: 'CONDITION', onsetOn: '2019-04-01' } } })).addProfileEntry.entry;
  assert.equal(own.condition.code.code, 'E11.9');
  const hidden = await api.ok(s.owner, HIDE, { input: { vaultId: s.vaultId, entryId: own.entryId, hidden: true } });
  assert.deepEqual(hidden.hideProfileEntry, { entry: { entryId: own.entryId, hidden: true }, userErrors: [] });

  const doctor = await api.ok(s.doctor.token, PROFILE, { id: s.vaultId });
  assert.equal(doctor.vault.profile.totalCount, 0);
  const direct = await api.gql(s.doctor.token, NODE, { id: own.id });
  assert.equal(direct.body.errors?.[0]?.extensions?.reason, 'MASKED_FROM_PROFESSIONALS', JSON.stringify(direct.body));
  const doctorHides = await api.gql(s.doctor.token, HIDE, { input: { vaultId: s.vaultId, entryId: own.entryId, hidden: false } });
  assert.equal(doctorHides.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');

  const person = await api.ok(s.owner, PROFILE, { id: s.vaultId });
  assert.deepEqual(person.vault.profile.edges.map((e) => [e.node.entryId, e.node.hidden]), [[own.entryId, true]]);
});

test('profile: validation errors name the field and the rule', async () => {
  const s = await scene();
  const cases = [
    [{ vaultId: s.vaultId, section: 'ALLERGIES' }, 'allergy'],
    [{ ...allergy(s.vaultId), treatment: treatment(s.vaultId).treatment }, 'treatment'],
    [{ ...treatment(s.vaultId), treatment: { medication: { system: 'http://www.whocc.no/atc', code: 'ramipril' } } }, 'treatment.medication.code'],
    [{ ...treatment(s.vaultId), treatment: { medication: { system: 'urn:oid:1.2.250.1.213.2.3.1', code: '3400930000000' } } }, 'treatment.medication.system'],
    [{ ...treatment(s.vaultId), treatment: { medication: { system: 'text', display: 'x' }, startedOn: '2999-01-01' } }, 'treatment.startedOn'],
    [{ ...allergy(s.vaultId), note: 'x'.repeat(1001) }, 'note'],
    [{ vaultId: s.vaultId, section: 'VACCINATIONS', vaccination: { vaccine: { system: 'text', display: 'x' }, administeredOn: today(), targets: ['smallpox'] } }, 'vaccination.targets'],
    [{ vaultId: s.vaultId, section: 'MEASUREMENTS', measurement: { kind: 'WEIGHT', value: 70, unit: 'lb', measuredAt: new Date().toISOString() } }, 'measurement.unit'],
    [{ vaultId: s.vaultId, section: 'MEASUREMENTS', measurement: { kind: 'BLOOD_PRESSURE', value: 130, measuredAt: new Date().toISOString() } }, 'measurement.secondValue'],
    [{ vaultId: s.vaultId, section: 'MEASUREMENTS', measurement: { kind: 'TEMPERATURE', value: 52, measuredAt: new Date().toISOString() } }, 'measurement.value'],
  ];
  for (const [input, field] of cases) {
    const data = await api.ok(s.owner, ADD, { input });
    assert.equal(data.addProfileEntry.entry, null);
    assert.deepEqual(data.addProfileEntry.userErrors.map((e) => [e.code, e.field]), [['VALIDATION', field]], JSON.stringify(data.addProfileEntry.userErrors));
    assert.ok(data.addProfileEntry.userErrors[0].message.startsWith(`${field} `), data.addProfileEntry.userErrors[0].message);
  }
  const page = await api.gql(s.owner, PROFILE, { id: s.vaultId, first: 51 });
  assert.equal(page.body.errors?.[0]?.extensions?.code, 'VALIDATION', JSON.stringify(page.body));
  const unknown = await api.ok(s.owner, REMOVE, { input: { vaultId: s.vaultId, entryId: 'pe-unknown' } });
  assert.deepEqual(unknown.removeProfileEntry.userErrors.map((e) => [e.code, e.field]), [['NOT_FOUND', 'entryId']]);
});
