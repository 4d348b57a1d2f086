// Issue 7 (hardening), items 2, 6 and 7 (part): what anonymous and foreign readers cost, proof of representation and of establishment membership, text rules.
// - item 2: anonymous reads touch no grain and write nothing; unknown ids write nothing; repeated denials are
//   rate-limited and reach the person's history as aggregated events whose counts add up;
// - item 6: legal representation needs minority or a court decision and is notified; an establishment in a token
//   counts only for its members;
// - item 7 (part): names and titles refuse control and bidirectional-override characters.
//
// Activations and audit rows are measured through the operator-only `operatorStatistics` query: active activations
// per grain type across the cluster (the Orleans management grain) and the answering silo's counters of vault
// activations started and audit events appended (in the embedded server, the one silo).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useServer, buildScene, accessHistory, deposit, grant, openVaultAsReferent, addRepresentative,
  newFiness, newNir, newRpps, newVaultIdLike, globalId, identity, OPEN_VAULT, ADD_REPRESENTATIVE, COURT_DECISION, waitFor,
} from './harness.mjs';

let scene;
const api = useServer([], async (ctx) => {
  scene = await buildScene(ctx, { nir: newNir() });
});

const STATISTICS = `{ operatorStatistics { silo vaultActivationsStarted auditEventsAppended activeGrains { grainType activations } } }`;

/** Operator statistics, with the active activations of the grain types a read may reach. */
async function statistics() {
  const s = (await api.ok(scene.operator.token, STATISTICS)).operatorStatistics;
  const active = (pattern) => s.activeGrains.filter((g) => pattern.test(g.grainType)).reduce((n, g) => n + g.activations, 0);
  return {
    vaultActivations: Number(s.vaultActivationsStarted),
    auditEvents: Number(s.auditEventsAppended),
    activeVaults: active(/vault/i),
    activeDirectory: active(/nir|professional|establishment/i),
    raw: s,
  };
}

const vaultIds = (n) => Array.from({ length: n }, () => newVaultIdLike());

describe('item 2: anonymous and foreign reads create no state', () => {
  test('1 000 anonymous random-id reads (vault, node, nodes of 50, aliases): all UNAUTHENTICATED, no activation, no audit row', async () => {
    const before = await statistics();
    assert.ok(before.raw.activeGrains.length > 0, `the management grain reports activations: ${JSON.stringify(before.raw)}`);
    let reads = 0;
    let errors = 0;
    const check = (body, fields) => {
      assert.ok(Array.isArray(body.errors), JSON.stringify(body).slice(0, 400));
      for (const e of body.errors) assert.equal(e.extensions?.code, 'UNAUTHENTICATED', JSON.stringify(e));
      assert.equal(body.errors.length, fields, JSON.stringify(body).slice(0, 400));
      errors += body.errors.length;
    };
    // 10 requests × (15 vault aliases + 15 node aliases): 300 ids.
    for (let r = 0; r < 10; r++) {
      const ids = vaultIds(30);
      const fields = ids.map((id, i) => i < 15
        ? `v${i}: vault(id: "${id}") { vaultId }`
        : `n${i}: node(id: "${globalId(i % 2 ? 'Vault' : 'Document', i % 2 ? id : `${id}/d-000001-abcdefgh`)}") { id }`);
      const { status, body } = await api.gql(null, `{ ${fields.join(' ')} }`);
      assert.equal(status, 200);
      check(body, 30);
      reads += 30;
    }
    // 7 requests × 2 aliases of nodes(ids: 50 ids): 700 ids.
    for (let r = 0; r < 7; r++) {
      const { status, body } = await api.gql(null, 'query Q($a: [ID!]!, $b: [ID!]!) { a: nodes(ids: $a) { id } b: nodes(ids: $b) { id } }', {
        a: vaultIds(50).map((id) => globalId('Vault', id)),
        b: vaultIds(50).map((id) => globalId('Vault', id)),
      });
      assert.equal(status, 200);
      check(body, 2);
      reads += 100;
    }
    // The directory lookups and the NIR index too.
    const directory = await api.gql(null, `query Q($nir: Nir!, $rpps: Rpps!, $finess: Finess!) {
      vaultByNir(nir: $nir) { vaultId } professional(rpps: $rpps) { rpps } establishment(finess: $finess) { name } }`,
    { nir: newNir(), rpps: newRpps(), finess: newFiness() });
    check(directory.body, 3);
    // Public reference fields stay public.
    const pub = await api.gql(null, '{ service { name } viewer { kind } habilitationMatrix { version } }');
    assert.equal(pub.body.errors, undefined, JSON.stringify(pub.body));
    assert.equal(pub.body.data.viewer.kind, 'ANONYMOUS');

    assert.equal(reads, 1000);
    assert.ok(errors >= 300 + 14 + 3);
    const after = await statistics();
    assert.equal(after.vaultActivations, before.vaultActivations, 'anonymous reads activated vault grains');
    assert.equal(after.activeVaults, before.activeVaults, 'anonymous reads left vault activations in memory');
    assert.equal(after.activeDirectory, before.activeDirectory, 'anonymous reads activated directory grains');
    assert.equal(after.auditEvents, before.auditEvents, 'anonymous reads appended audit events');
  });

  test('a professional reading unknown vault ids gets NOT_FOUND, writes nothing and leaves no activation behind', async () => {
    const before = await statistics();
    const ids = vaultIds(50);
    const single = await api.gql(scene.doctor.token, `{ ${ids.slice(0, 20).map((id, i) => `v${i}: vault(id: "${id}") { vaultId }`).join(' ')} }`);
    assert.equal(single.body.errors.length, 20);
    for (const e of single.body.errors) assert.equal(e.extensions.code, 'NOT_FOUND', JSON.stringify(e));
    const many = await api.gql(scene.doctor.token, 'query Q($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: ids.map((id) => globalId('Vault', id)) });
    assert.deepEqual(many.body.data.nodes, ids.map(() => null));
    for (const e of many.body.errors) assert.equal(e.extensions.code, 'NOT_FOUND', JSON.stringify(e));
    const download = await api.download(scene.doctor.token, `/vaults/${ids[0]}/documents/d-000001-abcdefgh/content`);
    assert.equal(download.status, 404);

    const after = await statistics();
    assert.equal(after.auditEvents, before.auditEvents, 'reads of unknown ids appended audit events');
    assert.ok(after.vaultActivations > before.vaultActivations, 'the reads did reach vault grains (the measure is live)');
    // Each of those activations ends at once.
    await waitFor(async () => (await statistics()).activeVaults <= before.activeVaults,
      { timeoutMs: 20_000, intervalMs: 250, message: 'activations of unknown vault ids were not deactivated' });
    assert.equal((await statistics()).auditEvents, before.auditEvents);
  });

  test('a foreign professional denied 50 times on one vault: a few events whose counts add up to 50, then RATE_LIMITED', async () => {
    const foreign = await api.professional('10');
    const query = 'query Q($id: ID!) { vault(id: $id) { vaultId } }';
    for (let i = 0; i < 50; i++) {
      const { body } = await api.gql(foreign.token, query, { id: scene.vaultId });
      assert.equal(body.errors?.[0]?.extensions?.code, 'FORBIDDEN', `denial ${i + 1}: ${JSON.stringify(body)}`);
      assert.equal(body.errors[0].extensions.reason, 'NO_BASIS');
    }
    const history = (await accessHistory(api, scene.owner.token, scene.vaultId)).filter((e) => e.actorId === foreign.rpps);
    assert.ok(history.length >= 1 && history.length <= 3, `bounded: ${history.length} events ${JSON.stringify(history)}`);
    assert.equal(history.reduce((n, e) => n + e.count, 0), 50, JSON.stringify(history));
    assert.ok(history.every((e) => !e.allowed && e.reason === 'NO_BASIS' && e.operation === 'vault.read'));
    const aggregate = history.find((e) => e.count > 1);
    assert.ok(aggregate, 'repeated denials are one aggregated event');
    assert.ok(Date.parse(aggregate.firstAt) <= Date.parse(aggregate.at), JSON.stringify(aggregate));

    // Further calls are refused without evaluation, over GraphQL and the content routes alike.
    for (let i = 0; i < 20; i++) {
      const { body } = await api.gql(foreign.token, query, { id: scene.vaultId });
      assert.equal(body.errors?.[0]?.extensions?.code, 'RATE_LIMITED', JSON.stringify(body));
    }
    const download = await api.download(foreign.token, scene.docs.health.downloadPath);
    assert.equal(download.status, 429);
    assert.equal(download.body.errors[0].extensions.code, 'RATE_LIMITED');
    // The person sees those too, aggregated; every other caller is unaffected.
    const after = (await accessHistory(api, scene.owner.token, scene.vaultId)).filter((e) => e.actorId === foreign.rpps);
    assert.ok(after.length <= 8, `bounded: ${after.length}`);
    assert.equal(after.filter((e) => e.reason === 'RATE_LIMITED').reduce((n, e) => n + e.count, 0), 21, JSON.stringify(after));
    await api.ok(scene.doctor.token, query, { id: scene.vaultId });
    // Aggregated events keep the chain verifiable.
    const verified = await api.ok(scene.operator.token, 'mutation M($input: VaultRefInput!) { verifyAuditChain(input: $input) { report { intact problem } } }', { input: { vaultId: scene.vaultId } });
    assert.equal(verified.verifyAuditChain.report.intact, true, JSON.stringify(verified));
  });
});

describe('item 6: representatives and establishments need proof', () => {
  const NOTIFICATIONS = 'query Q($id: ID!) { vault(id: $id) { notifications(first: 50) { kind payload { __typename ... on RepresentativeAddedNotice { vaultId representativeVaultId kind recordedBy } } } } }';
  const notifications = async (token, vaultId) => (await api.ok(token, NOTIFICATIONS, { id: vaultId })).vault.notifications;

  test('PARENT of an adult is refused with VALIDATION naming the field and the rule', async () => {
    const adult = await openVaultAsReferent(api, scene.socialWorker.token, { familyName: 'Adulte', givenNames: 'Personne' });
    const data = await api.ok(scene.operator.token, ADD_REPRESENTATIVE, { input: { vaultId: adult, representativeVaultId: scene.representative.vaultId, kind: 'PARENT' } });
    assert.equal(data.addRepresentative.representative, null);
    assert.equal(data.addRepresentative.userErrors[0].code, 'VALIDATION');
    assert.equal(data.addRepresentative.userErrors[0].field, 'kind');
    assert.match(data.addRepresentative.userErrors[0].message, /minor/);
    // The adult's vault is not readable by the would-be parent.
    const read = await api.gql(scene.representative.token, 'query Q($id: ID!) { vault(id: $id) { vaultId } }', { id: adult });
    assert.equal(read.body.errors[0].extensions.code, 'FORBIDDEN');
  });

  test('PARENT of a minor is accepted; the person and the other representative are notified', async () => {
    const child = await openVaultAsReferent(api, scene.socialWorker.token, { familyName: 'Enfant', givenNames: 'Petit', minor: true });
    const first = await openVaultAsReferent(api, scene.socialWorker.token, { familyName: 'Parent', givenNames: 'Un' });
    const second = await openVaultAsReferent(api, scene.socialWorker.token, { familyName: 'Parent', givenNames: 'Deux' });
    await addRepresentative(api, scene.operator.token, child, first, 'PARENT');
    await addRepresentative(api, scene.operator.token, child, second, 'PARENT');
    const childNotes = (await notifications(await api.token('patient', child), child)).filter((n) => n.kind === 'REPRESENTATIVE_ADDED');
    assert.equal(childNotes.length, 2, JSON.stringify(childNotes));
    assert.ok(childNotes.some((n) => n.payload.representativeVaultId === second));
    const firstNotes = (await notifications(await api.token('patient', first), first)).filter((n) => n.kind === 'REPRESENTATIVE_ADDED');
    assert.equal(firstNotes.length, 1, `the other representative learns of the new one: ${JSON.stringify(firstNotes)}`);
    const { payload } = firstNotes[0];
    assert.equal(payload.__typename, 'RepresentativeAddedNotice');
    assert.equal(payload.vaultId, child);
    assert.equal(payload.representativeVaultId, second);
    assert.equal(payload.kind, 'PARENT');
  });

  test('TUTOR of an adult needs the court decision (court, decisionReference, decisionDate)', async () => {
    const adult = await openVaultAsReferent(api, scene.socialWorker.token, { familyName: 'Protege', givenNames: 'Majeur' });
    const tutor = newVaultIdLike();
    const missing = await api.ok(scene.operator.token, ADD_REPRESENTATIVE, { input: { vaultId: adult, representativeVaultId: tutor, kind: 'TUTOR' } });
    assert.deepEqual(missing.addRepresentative.userErrors.map((e) => [e.code, e.field]), [['VALIDATION', 'court']]);
    const noReference = await api.ok(scene.operator.token, ADD_REPRESENTATIVE, { input: { vaultId: adult, representativeVaultId: tutor, kind: 'TUTOR', court: COURT_DECISION.court, decisionDate: COURT_DECISION.decisionDate } });
    assert.deepEqual(noReference.addRepresentative.userErrors.map((e) => [e.code, e.field]), [['VALIDATION', 'decisionReference']]);
    const future = await api.ok(scene.operator.token, ADD_REPRESENTATIVE, { input: { vaultId: adult, representativeVaultId: tutor, kind: 'CURATOR', ...COURT_DECISION, decisionDate: '2999-01-01' } });
    assert.deepEqual(future.addRepresentative.userErrors.map((e) => [e.code, e.field]), [['VALIDATION', 'decisionDate']]);
    const ok = await api.ok(scene.operator.token, ADD_REPRESENTATIVE, { input: { vaultId: adult, representativeVaultId: tutor, kind: 'TUTOR', ...COURT_DECISION } });
    assert.deepEqual(ok.addRepresentative.userErrors, []);
    const view = await api.ok(await api.token('patient', adult), 'query Q($id: ID!) { vault(id: $id) { representatives { kind court decisionReference decisionDate } } }', { id: adult });
    assert.deepEqual(view.vault.representatives, [{ kind: 'TUTOR', ...COURT_DECISION }]);
  });

  test('an establishment in a token counts only while the professional is one of its members', async () => {
    const finess = newFiness();
    const registered = await api.ok(scene.operator.token, `mutation M($input: RegisterEstablishmentInput!) { registerEstablishment(input: $input) { establishment { finess } userErrors { code field } } }`,
      { input: { finess, name: 'Centre de santé Belleville', kind: 'LEGAL_ENTITY', categoryCode: '124', sector: 'HEALTH' } });
    assert.deepEqual(registered.registerEstablishment.userErrors, []);
    await grant(api, scene.owner.token, scene.vaultId, undefined, { rpps: undefined, finess });
    const pro = await api.professional('10', { finess });
    const read = () => api.gql(pro.token, 'query Q($id: ID!) { viewer { establishmentFiness } vault(id: $id) { basis documents { totalCount } } }', { id: scene.vaultId });
    const setMember = (member) => api.ok(scene.operator.token, `mutation M($input: SetEstablishmentMemberInput!) { setEstablishmentMember(input: $input) { userErrors { code } } }`,
      { input: { finess, rpps: pro.rpps, member } });

    const outsider = await read();
    assert.equal(outsider.body.data.viewer.establishmentFiness, null, 'an unverified establishment is dropped from the caller');
    assert.equal(outsider.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(outsider.body));
    assert.equal(outsider.body.errors[0].extensions.reason, 'NO_BASIS');
    const outsiderDownload = await api.download(pro.token, scene.docs.health.downloadPath);
    assert.equal(outsiderDownload.status, 403);

    await setMember(true);
    const member = await read();
    assert.equal(member.body.errors, undefined, JSON.stringify(member.body));
    assert.equal(member.body.data.viewer.establishmentFiness, finess);
    assert.equal(member.body.data.vault.basis, 'CARE_TEAM', 'a grant to the establishment opens the vault to its members as the care team (matrix careTeam)');
    assert.equal((await api.download(pro.token, scene.docs.health.downloadPath)).status, 200);

    await setMember(false);
    const removed = await read();
    assert.equal(removed.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(removed.body));
    assert.equal((await api.download(pro.token, scene.docs.health.downloadPath)).status, 403);
  });
});

describe('item 7: names and titles refuse control and bidi-override characters', () => {
  test('a family name or a title with U+202E (right-to-left override) is VALIDATION naming the field and the rule', async () => {
    const opened = await api.ok(scene.socialWorker.token, OPEN_VAULT, {
      input: { identity: identity('Mar\u202Etin', 'Camille'), consent: { method: 'IN_APP', expiresAt: new Date(Date.now() + 86_400_000).toISOString() } },
    });
    assert.equal(opened.openVault.vault, null);
    assert.equal(opened.openVault.userErrors[0].code, 'VALIDATION');
    assert.equal(opened.openVault.userErrors[0].field, 'identity.familyName');
    assert.match(opened.openVault.userErrors[0].message, /control, format or bidirectional-override characters \(U\+202E at position 4\)/);

    const upload = await api.upload(scene.owner.token, scene.vaultId, { title: 'facture\u202Efdp.exe', classCode: '90', typeCode: 'DOCPAT01' }, 'x');
    assert.equal(upload.status, 400, JSON.stringify(upload.body));
    assert.equal(upload.body.errors[0].extensions.code, 'VALIDATION');
    assert.equal(upload.body.errors[0].extensions.field, 'title');

    const rename = await api.ok(scene.owner.token, 'mutation M($input: UpdateDocumentInput!) { updateDocument(input: $input) { document { title } userErrors { code field message } } }',
      { input: { vaultId: scene.vaultId, documentId: scene.docs.health.documentId, title: 'CR\u0007 biologie' } });
    assert.deepEqual(rename.updateDocument.userErrors.map((e) => [e.code, e.field]), [['VALIDATION', 'title']]);

    const professional = await api.ok(scene.operator.token, 'mutation M($input: RegisterProfessionalInput!) { registerProfessional(input: $input) { userErrors { code field } } }',
      { input: { rpps: newRpps(), displayName: 'Dr \u2066Martin', professionCode: '10', sector: 'HEALTH' } });
    assert.deepEqual(professional.registerProfessional.userErrors.map((e) => [e.code, e.field]), [['VALIDATION', 'displayName']]);

    const doc = await deposit(api, scene.owner.token, scene.vaultId, { title: 'Ordonnance — été', classCode: '90', typeCode: 'DOCPAT01' });
    assert.equal(doc.title, 'Ordonnance — été', 'ordinary accents and punctuation are fine');
  });
});
