// The medical profile as FHIR R4 over the API (issue 14): entries of every section and every enum value added through
// GraphQL addProfileEntry, then read back through the FHIR REST views (searchset and single resource, for the person,
// a granted doctor who does not see what the person hid, a stranger refused with an OperationOutcome) and through the
// export's fhir/bundle.json and index.txt. Resource types, ids and codes are checked against the mapping documented in
// docs/graphql-guide.md. Needs the profile grain and its GraphQL (helper P) merged: before that, addProfileEntry does
// not exist and the setup fails.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, openVaultAsReferent, grant, exportAndUnzip, deposit } from './harness.mjs';

let owner; // { vaultId, token }
let doctor; // granted on everything
let stranger; // a professional with no basis
let hiddenId; // an entry the person hid from professionals
const added = new Map(); // section → [{ entryId, input }]

const RESOURCE = { TREATMENTS: 'MedicationStatement', CONDITIONS: 'Condition', ALLERGIES: 'AllergyIntolerance', VACCINATIONS: 'Immunization', MEASUREMENTS: 'Observation' };
const DETAIL = { TREATMENTS: 'treatment', CONDITIONS: 'condition', ALLERGIES: 'allergy', VACCINATIONS: 'vaccination', MEASUREMENTS: 'measurement' };
const LOINC = { WEIGHT: '29463-7', HEIGHT: '8302-2', BLOOD_PRESSURE: '85354-9', GLUCOSE: '2345-7', HEART_RATE: '8867-4', TEMPERATURE: '8310-5' };
const UNIT = { WEIGHT: 'kg', HEIGHT: 'cm', BLOOD_PRESSURE: 'mm[Hg]', GLUCOSE: 'g/L', HEART_RATE: '/min', TEMPERATURE: 'Cel', HBA1C: '%' };
const VALUE = { WEIGHT: 72.5, HEIGHT: 178, BLOOD_PRESSURE: 128, GLUCOSE: 1.06, HEART_RATE: 64, TEMPERATURE: 37.8, HBA1C: 6.9 };

const ADD = `mutation A($input: AddProfileEntryInput!) { addProfileEntry(input: $input) { entry { entryId section } userErrors { code field message } } }`;
const HIDE = `mutation H($input: HideProfileEntryInput!) { hideProfileEntry(input: $input) { userErrors { code field message } } }`;

/** The enum values of a detail input's field, read by introspection (so every value is covered, whatever P adds). */
async function enumValues(ctx, token) {
  const { body } = await ctx.gql(token, `{ __type(name: "Mutation") { fields { name args { name type { ofType { name } name } } } } }`);
  const inputName = body.data.__type.fields.find((f) => f.name === 'addProfileEntry').args.find((a) => a.name === 'input').type.ofType?.name
    ?? body.data.__type.fields.find((f) => f.name === 'addProfileEntry').args.find((a) => a.name === 'input').type.name;
  const typeOf = async (name) => (await ctx.gql(token, `query T($n: String!) { __type(name: $n) { kind enumValues { name } inputFields { name type { kind name ofType { kind name } } } } }`, { n: name })).body.data.__type;
  const input = await typeOf(inputName);
  const values = {};
  for (const detail of Object.values(DETAIL)) {
    const field = input.inputFields.find((f) => f.name === detail);
    assert.ok(field, `${inputName}.${detail} missing`);
    const detailType = await typeOf(field.type.name ?? field.type.ofType.name);
    for (const f of detailType.inputFields) {
      const named = f.type.kind === 'NON_NULL' ? f.type.ofType : f.type;
      if (named.kind === 'ENUM') values[`${detail}.${f.name}`] = (await typeOf(named.name)).enumValues.map((v) => v.name);
    }
  }
  return values;
}

/** One entry input per value of each section's enums (the longest enum of the section sets the count). */
function inputs(values) {
  const pick = (key, i) => values[key][i % values[key].length];
  const count = (...keys) => Math.max(...keys.map((k) => values[k].length));
  const list = [];
  for (let i = 0; i < count('treatment.status'); i++) {
    const status = pick('treatment.status', i);
    list.push(['TREATMENTS', { medication: { system: 'http://www.whocc.no/atc', code: 'N02BE01', display: 'Paracétamol' }, status, dosage: '1 comprimé matin et soir', startedOn: '2025-11-02', endedOn: status === 'ACTIVE' ? null : '2026-01-20', reason: 'douleurs lombaires' }]);
  }
  for (let i = 0; i < count('condition.kind', 'condition.status'); i++) {
    const status = pick('condition.status', i);
    list.push(['CONDITIONS', { code: { system: 'http://hl7.org/fhir/sid/icd-10', code: 'E11', display: 'Diabète de type 2' }, kind: pick('condition.kind', i), status, onsetOn: '2019-05-17', resolvedOn: status === 'ACTIVE' ? null : '2024-02-29' }]);
  }
  for (let i = 0; i < count('allergy.category', 'allergy.criticality', 'allergy.status'); i++) {
    list.push(['ALLERGIES', { substance: { system: 'http://snomed.info/sct', code: '372687004', display: 'Amoxicilline' }, category: pick('allergy.category', i), criticality: pick('allergy.criticality', i), status: pick('allergy.status', i), reaction: 'urticaire', onsetOn: '2010-07-01' }]);
  }
  list.push(['VACCINATIONS', { vaccine: { system: 'http://www.whocc.no/atc', code: 'J07CA02', display: 'Repevax' }, administeredOn: '2025-10-08', targets: ['diphtheria', 'tetanus', 'poliomyelitis'], doseNumber: 4, lotNumber: 'X1234-B' }]);
  list.push(['VACCINATIONS', { vaccine: { system: 'text', code: '', display: 'Vaccin grippe saisonnière' }, administeredOn: '2025-11-15', targets: ['influenza'] }]);
  for (const kind of values['measurement.kind']) {
    const blood = kind === 'BLOOD_PRESSURE';
    list.push(['MEASUREMENTS', { kind, value: VALUE[kind], unit: UNIT[kind], measuredAt: '2026-03-14T09:26:53Z', secondValue: blood ? 82 : null }]);
  }
  return list;
}

const api = useServer([], async (ctx) => {
  const sw = await ctx.professional('SOC-AS');
  const vaultId = await openVaultAsReferent(ctx, sw.token, { familyName: 'Profil', givenNames: 'Fhir' });
  owner = { vaultId, token: await ctx.token('patient', vaultId) };
  doctor = await ctx.professional('10');
  stranger = await ctx.professional('10');
  await grant(ctx, owner.token, vaultId, doctor.rpps);
  for (const [section, detail] of inputs(await enumValues(ctx, owner.token))) {
    const data = await ctx.ok(owner.token, ADD, { input: { vaultId, section, source: 'carnet de santé', note: 'saisi par la personne', [DETAIL[section]]: detail } });
    assert.deepEqual(data.addProfileEntry.userErrors, [], JSON.stringify(data.addProfileEntry.userErrors));
    if (!added.has(section)) added.set(section, []);
    added.get(section).push({ entryId: data.addProfileEntry.entry.entryId, input: detail });
  }
  hiddenId = added.get('CONDITIONS')[0].entryId;
  const hidden = await ctx.ok(owner.token, HIDE, { input: { vaultId, entryId: hiddenId, hidden: true } });
  assert.deepEqual(hidden.hideProfileEntry.userErrors, []);
});

const fhir = async (t, path) => {
  const response = await fetch(`${api.baseUrl}${path}`, { headers: api.auth(t) });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
};

/** Checks one resource against the entry it was made from. */
function checkResource(section, resource, { entryId, input }) {
  assert.equal(resource.resourceType, RESOURCE[section]);
  assert.equal(resource.id, entryId);
  assert.ok(resource.identifier.some((i) => i.system === 'urn:coffre:profile-entry-id' && i.value === entryId));
  const patientRef = (resource.subject ?? resource.patient).reference;
  assert.equal(patientRef, `Patient/${owner.vaultId}`);
  assert.equal(resource.note[0].text, 'saisi par la personne');
  assert.ok(resource.extension.some((e) => e.url === 'urn:coffre:fhir:profile-source' && e.valueString === 'carnet de santé'));
  switch (section) {
    case 'TREATMENTS':
      assert.equal(resource.status, input.status.toLowerCase());
      assert.equal(resource.medicationCodeableConcept.coding[0].code, 'N02BE01');
      assert.equal(resource.dosage[0].text, input.dosage);
      assert.equal(resource.effectivePeriod.start, '2025-11-02');
      // The person recorded it: the Patient is the information source.
      assert.equal(resource.informationSource.reference, `Patient/${owner.vaultId}`);
      break;
    case 'CONDITIONS': {
      assert.equal(resource.clinicalStatus.coding[0].code, input.status.toLowerCase());
      assert.equal(resource.code.coding[0].code, 'E11');
      assert.equal(resource.onsetDateTime, '2019-05-17');
      const kind = resource.category.flatMap((c) => c.coding).find((c) => c.system === 'urn:coffre:condition-kind')?.code;
      assert.equal(kind ?? 'CONDITION', input.kind === 'CONDITION' ? 'CONDITION' : input.kind.toLowerCase().replace('_', '-'));
      break;
    }
    case 'ALLERGIES':
      assert.deepEqual(resource.category, [input.category.toLowerCase()]);
      assert.equal(resource.criticality, { UNKNOWN: 'unable-to-assess', LOW: 'low', HIGH: 'high' }[input.criticality]);
      assert.equal(resource.clinicalStatus.coding[0].code, input.status.toLowerCase());
      assert.equal(resource.reaction[0].manifestation[0].text, 'urticaire');
      break;
    case 'VACCINATIONS':
      assert.equal(resource.status, 'completed');
      assert.equal(resource.occurrenceDateTime, input.administeredOn);
      assert.deepEqual(resource.protocolApplied[0].targetDisease.map((t) => t.coding[0].code), input.targets);
      if (input.doseNumber) assert.equal(resource.protocolApplied[0].doseNumberPositiveInt, input.doseNumber);
      break;
    case 'MEASUREMENTS': {
      const loinc = resource.code.coding.find((c) => c.system === 'http://loinc.org').code;
      assert.equal(loinc, LOINC[input.kind] ?? '4548-4');
      assert.equal(resource.category[0].coding[0].code, ['GLUCOSE', 'HBA1C'].includes(input.kind) ? 'laboratory' : 'vital-signs');
      if (input.kind === 'BLOOD_PRESSURE') {
        assert.deepEqual(resource.component.map((c) => [c.code.coding[0].code, c.valueQuantity.value]), [['8480-6', 128], ['8462-4', 82]]);
      } else {
        assert.equal(resource.valueQuantity.value, input.value);
        assert.equal(resource.valueQuantity.system, 'http://unitsofmeasure.org');
      }
      break;
    }
  }
}

describe('the medical profile as FHIR R4 views', () => {
  test('each section is a searchset of every entry for the person, each entry mapped to its resource', async () => {
    for (const [section, entries] of added) {
      const { status, type, body } = await fhir(owner.token, `/fhir/${RESOURCE[section]}?patient=${owner.vaultId}`);
      assert.equal(status, 200, JSON.stringify(body));
      assert.match(type, /^application\/fhir\+json/);
      assert.equal(body.resourceType, 'Bundle');
      assert.equal(body.type, 'searchset');
      assert.deepEqual(body.entry.map((e) => e.resource.id).sort(), entries.map((e) => e.entryId).sort());
      for (const entry of entries) checkResource(section, body.entry.find((e) => e.resource.id === entry.entryId).resource, entry);
    }
  });

  test('one resource by id, under /fhir and under /vaults/{vaultId}/fhir alike', async () => {
    const entry = added.get('VACCINATIONS')[0];
    const one = await fhir(owner.token, `/fhir/Immunization/${entry.entryId}?patient=${owner.vaultId}`);
    assert.equal(one.status, 200, JSON.stringify(one.body));
    checkResource('VACCINATIONS', one.body, entry);
    assert.deepEqual((await fhir(owner.token, `/vaults/${owner.vaultId}/fhir/Immunization/${entry.entryId}`)).body, one.body);
    const wrongType = await fhir(owner.token, `/fhir/Observation/${entry.entryId}?patient=${owner.vaultId}`);
    assert.equal(wrongType.status, 404);
    assert.equal(wrongType.body.resourceType, 'OperationOutcome');
  });

  test('a granted doctor reads the profile without what the person hid; a stranger and an anonymous caller are refused', async () => {
    const conditions = await fhir(doctor.token, `/fhir/Condition?patient=${owner.vaultId}`);
    assert.equal(conditions.status, 200, JSON.stringify(conditions.body));
    const ids = (conditions.body.entry ?? []).map((e) => e.resource.id);
    assert.ok(!ids.includes(hiddenId), 'the hidden entry reached the doctor');
    assert.equal(ids.length, added.get('CONDITIONS').length - 1);
    assert.equal((await fhir(doctor.token, `/fhir/Condition/${hiddenId}?patient=${owner.vaultId}`)).status, 404);
    // a single read is the entry's own read: a caller denied it gets 404, as for an entry that does not exist
    assert.equal((await fhir(stranger.token, `/fhir/Condition/${hiddenId}?patient=${owner.vaultId}`)).status, 404);

    const refused = await fhir(stranger.token, `/fhir/MedicationStatement?patient=${owner.vaultId}`);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.resourceType, 'OperationOutcome');
    assert.equal(refused.body.issue[0].code, 'forbidden');
    assert.ok(refused.body.issue[0].diagnostics.length > 0);
    assert.equal((await fhir(null, `/fhir/MedicationStatement?patient=${owner.vaultId}`)).status, 401);
  });

  test('bad requests: an unknown type, a missing patient', async () => {
    const unknown = await fhir(owner.token, `/fhir/Encounter?patient=${owner.vaultId}`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.issue[0].code, 'not-supported');
    const missing = await fhir(owner.token, '/fhir/Condition');
    assert.equal(missing.status, 400);
    assert.match(missing.body.issue[0].diagnostics, /patient/);
  });

  test('the document and history views keep their own routes under /fhir?patient= beside the profile types', async () => {
    const d = await deposit(api, owner.token, owner.vaultId, { title: 'Compte rendu', classCode: '10', typeCode: '11502-2' });
    const document = await fhir(owner.token, `/fhir/DocumentReference/${d.documentId}?patient=${owner.vaultId}`);
    assert.equal(document.status, 200, JSON.stringify(document.body));
    assert.equal(document.body.resourceType, 'DocumentReference');
    assert.deepEqual(document.body, (await fhir(owner.token, `/vaults/${owner.vaultId}/fhir/DocumentReference/${d.documentId}`)).body);
    const history = await fhir(owner.token, `/fhir/AuditEvent?patient=${owner.vaultId}&_count=2`);
    assert.equal(history.status, 200, JSON.stringify(history.body));
    assert.equal(history.body.resourceType, 'Bundle');
    assert.ok(history.body.entry.length > 0 && history.body.entry.every((e) => e.resource.resourceType === 'AuditEvent'));
    assert.equal((await fhir(doctor.token, `/fhir/AuditEvent?patient=${owner.vaultId}`)).status, 403);
    assert.equal((await fhir(owner.token, '/fhir/AuditEvent')).status, 400);
    // documents are not searched over FHIR: said so, not "not-supported" as an unknown profile type
    const search = await fhir(owner.token, `/fhir/DocumentReference?patient=${owner.vaultId}`);
    assert.equal(search.status, 400);
    assert.match(search.body.issue[0].diagnostics, /read by id/);
    // and a profile type still reaches the profile
    const profile = await fhir(owner.token, `/fhir/Immunization?patient=${owner.vaultId}`);
    assert.equal(profile.status, 200);
    assert.ok(profile.body.entry.every((e) => e.resource.resourceType === 'Immunization'));
  });

  test('the export\'s bundle carries every entry as its resource and the index lists the profile', async () => {
    const { entries } = await exportAndUnzip(api, owner.token, owner.vaultId);
    const bundle = JSON.parse(entries.get('fhir/bundle.json').toString('utf8'));
    const resources = bundle.entry.map((e) => e.resource);
    for (const [section, list] of added) {
      for (const entry of list) {
        const resource = resources.find((r) => r.resourceType === RESOURCE[section] && r.id === entry.entryId);
        assert.ok(resource, `${RESOURCE[section]}/${entry.entryId} missing from the bundle`);
        checkResource(section, resource, entry);
      }
    }
    const total = [...added.values()].reduce((n, l) => n + l.length, 0);
    const index = entries.get('index.txt').toString('utf8');
    assert.match(index, new RegExp(`MEDICAL PROFILE \\(${total} entries`));
    assert.match(index, /Paracétamol \(N02BE01\)/);
    const manifest = JSON.parse(entries.get('manifest.json').toString('utf8'));
    assert.equal(manifest.profileEntries, total);
  });
});
