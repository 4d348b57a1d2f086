// Issue 8, items 4 and 6: professionals come from the directory, operators have roles.
//
// A tiny OpenID provider in the style of Pro Santé Connect runs inside this file (discovery document, JWKS, RS256
// tokens signed with node's crypto, on 127.0.0.1) and is the server's professionals' authority
// (Coffre:Auth:Professionals:Authority). Its tokens carry the national identifier in SubjectNameID ("8" + RPPS) and a
// profession in SubjectRefPro that the server must ignore: the directory (the professional's grain) decides.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { generateKeyPairSync, sign, randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import {
  startServer, client, freePort, newRpps, newFiness, newNir, luhnValid, grant, deposit, openVaultAsReferent,
  addRepresentative, accessHistory,
} from './harness.mjs';

// ------------------------------------------------------------------ the fake Pro Santé Connect

async function startFakePsc() {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  const server = createServer((req, res) => {
    const send = (body) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (req.url === '/.well-known/openid-configuration') {
      send({
        issuer,
        jwks_uri: `${issuer}/jwks`,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
      });
    } else if (req.url === '/jwks') {
      send({ keys: [jwk] });
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  /** An RS256 access token for this identifier (SubjectNameID, "8" + RPPS unless `raw`), claiming `profession`. */
  const mint = (identifier, { profession = '10', audience = 'coffre-psc', raw = false } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64({ alg: 'RS256', typ: 'JWT', kid });
    const payload = b64({
      iss: issuer, aud: audience, sub: randomUUID(), iat: now, nbf: now, exp: now + 600,
      SubjectNameID: raw ? identifier : `8${identifier}`,
      SubjectRefPro: { codeCivilite: 'DR', exercices: [{ codeProfession: profession, codeCategorieProfessionnelle: 'C', activities: [] }] },
      Palier_Authentification: 'APPPRIP3^1.2.250.1.213.1.5.1.1.1',
      coffre_role: 'operator', // a provider's token never makes anyone an operator
    });
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), privateKey).toString('base64url');
    return `${header}.${payload}.${signature}`;
  };
  return { issuer, mint, stop: () => new Promise((r) => server.close(r)) };
}

// ------------------------------------------------------------------ the server

let psc;
let api;
let server;
before(async () => {
  psc = await startFakePsc();
  server = await startServer([
    `--Coffre:Auth:Professionals:Authority=${psc.issuer}`,
    '--Coffre:Auth:Professionals:Audience=coffre-psc',
    '--Coffre:Auth:Professionals:RequireHttpsMetadata=false',
  ]);
  api = client(server);
}, { timeout: 120_000 });
after(async () => {
  await server?.stop();
  await psc?.stop();
});

const READ = `query Q($id: ID!) { viewer { kind rpps professionCode directoryStanding } vault(id: $id) { basis documents { totalCount } } }`;
const READ_DOC = `query Q($id: ID!, $doc: String!) { vault(id: $id) { document(documentId: $doc) { title } } }`;
const SUSPEND = `mutation S($input: SuspendProfessionalInput!) { suspendProfessional(input: $input) { professional { status suspendedBy suspendedAt suspensionReason } userErrors { code field message } } }`;
const REINSTATE = `mutation R($input: ReinstateProfessionalInput!) { reinstateProfessional(input: $input) { professional { status suspendedBy } userErrors { code field message } } }`;
const REGISTER_ESTABLISHMENT = `mutation M($input: RegisterEstablishmentInput!) { registerEstablishment(input: $input) { establishment { finess } userErrors { code field message } } }`;
const SET_MEMBER = `mutation M($input: SetEstablishmentMemberInput!) { setEstablishmentMember(input: $input) { establishment { members admins } userErrors { code field message } } }`;
const REGISTER_STAFF = `mutation M($input: RegisterEstablishmentStaffInput!) { registerEstablishmentStaff(input: $input) { professional { rpps professionCode registeredBy memberships { finess admin } } userErrors { code field message } } }`;
const REGISTER_PROFESSIONAL = `mutation M($input: RegisterProfessionalInput!) { registerProfessional(input: $input) { professional { rpps } userErrors { code field message } } }`;
const CLOSE = `mutation M($input: VaultRefInput!) { closeVault(input: $input) { vault { status } userErrors { code } } }`;
const OPPOSE = `mutation M($input: RecordOppositionInput!) { recordOpposition(input: $input) { receipt { receiptId } userErrors { code field message } } }`;

const denial = (response) => ({ code: response.body.errors?.[0]?.extensions?.code, reason: response.body.errors?.[0]?.extensions?.reason });

/** A vault opened by a registered social worker, its owner's token, a health document in it. */
async function vaultWithDocument() {
  const socialWorker = await api.professional('SOC-AS');
  const vaultId = await openVaultAsReferent(api, socialWorker.token, { nir: newNir() });
  const owner = await api.token('patient', vaultId);
  const health = await deposit(api, owner, vaultId, { title: 'CR biologie', classCode: '10', typeCode: '11502-2' });
  const delivery = await deposit(api, owner, vaultId, { title: "CR d'accouchement", classCode: '10', typeCode: '15508-5' });
  return { vaultId, owner, socialWorker, health, delivery };
}

// ------------------------------------------------------------------ item 4

describe('item 4: professionals from the directory, signed in by their provider', () => {
  test('a registered active doctor signed in by the provider reads with a grant', async () => {
    const v = await vaultWithDocument();
    const rpps = newRpps();
    await api.registerProfessional(rpps, '10');
    await grant(api, v.owner, v.vaultId, rpps);
    const token = psc.mint(rpps);

    const read = await api.ok(token, READ, { id: v.vaultId });
    assert.deepEqual(read.viewer, { kind: 'PROFESSIONAL', rpps, professionCode: '10', directoryStanding: 'ACTIVE' }, 'the provider proves the RPPS; the claimed operator role is dropped');
    assert.equal(read.vault.basis, 'GRANT');
    const doc = await api.ok(token, READ_DOC, { id: v.vaultId, doc: v.health.documentId });
    assert.equal(doc.vault.document.title, 'CR biologie');
    assert.equal((await api.download(token, v.health.downloadPath)).status, 200);
  });

  test('a token for another audience, or not signed by the provider, is refused (401)', async () => {
    const rpps = newRpps();
    await api.registerProfessional(rpps, '10');
    assert.equal((await api.gql(psc.mint(rpps, { audience: 'someone-else' }), '{ viewer { kind } }')).status, 401);
    const forged = psc.mint(rpps).split('.');
    forged[2] = Buffer.from('not a signature').toString('base64url');
    assert.equal((await api.gql(forged.join('.'), '{ viewer { kind } }')).status, 401);
  });

  test('an RPPS the directory does not know is refused everywhere, with the reason', async () => {
    const v = await vaultWithDocument();
    const rpps = newRpps();
    await grant(api, v.owner, v.vaultId, rpps);
    for (const token of [psc.mint(rpps), (await api.professional('10', { rpps, register: false })).token]) {
      const read = await api.gql(token, READ, { id: v.vaultId });
      assert.equal(read.body.data.viewer.directoryStanding, 'UNREGISTERED');
      assert.equal(read.body.data.viewer.professionCode, null);
      assert.deepEqual(denial(read), { code: 'FORBIDDEN', reason: 'NOT_REGISTERED' }, JSON.stringify(read.body));
      assert.match(read.body.errors[0].message, /not registered in Coffre's directory/);
      assert.equal((await api.download(token, v.health.downloadPath)).status, 403);
    }
  });

  test("the profession comes from the directory, not from the token", async () => {
    const v = await vaultWithDocument();
    const rpps = newRpps();
    await api.registerProfessional(rpps, '80'); // podiatrist in the directory
    await grant(api, v.owner, v.vaultId, rpps);
    // The provider's token and a dev token both claim a doctor (10): ignored.
    for (const token of [psc.mint(rpps, { profession: '10' }), (await api.token('professional', `pro-${rpps}`, { rpps, profession: '10' }))]) {
      const read = await api.ok(token, READ, { id: v.vaultId });
      assert.equal(read.viewer.professionCode, '80');
      const delivery = await api.gql(token, READ_DOC, { id: v.vaultId, doc: v.delivery.documentId });
      assert.deepEqual(denial(delivery), { code: 'FORBIDDEN', reason: 'PROFESSION_NOT_HABILITATED' }, 'a podiatrist may not read a delivery report');
    }
    const history = await accessHistory(api, v.owner, v.vaultId);
    assert.ok(history.some((e) => e.actorId === rpps && e.actorProfession === '80'));
    assert.ok(!history.some((e) => e.actorId === rpps && e.actorProfession === '10'));
  });

  test('suspension denies the next request on every vault (time measured); reinstatement allows again', async () => {
    const [a, b] = await Promise.all([vaultWithDocument(), vaultWithDocument()]);
    const rpps = newRpps();
    await api.registerProfessional(rpps, '10');
    await grant(api, a.owner, a.vaultId, rpps);
    await grant(api, b.owner, b.vaultId, rpps);
    const token = psc.mint(rpps);
    assert.equal((await api.ok(token, READ, { id: a.vaultId })).vault.basis, 'GRANT');
    assert.equal((await api.ok(token, READ, { id: b.vaultId })).vault.basis, 'GRANT');

    const directoryAdmin = await api.token('operator', 'op-directory', { operatorRoles: 'directory-admin' });
    const started = process.hrtime.bigint();
    const suspended = await api.ok(directoryAdmin, SUSPEND, { input: { rpps, reason: 'Interdiction d\'exercer notifiée par l\'Ordre' } });
    const suspendedAt = process.hrtime.bigint();
    assert.deepEqual(suspended.suspendProfessional.userErrors, []);
    assert.equal(suspended.suspendProfessional.professional.status, 'SUSPENDED');
    assert.equal(suspended.suspendProfessional.professional.suspendedBy, 'op-directory');
    assert.ok(suspended.suspendProfessional.professional.suspendedAt);

    // The very next request is refused; count requests until the first denial (expected: 1).
    let attempts = 0;
    let denied;
    while (attempts < 100) {
      attempts++;
      const r = await api.gql(token, READ, { id: a.vaultId });
      if (r.body.errors) { denied = r; break; }
    }
    const firstDenial = process.hrtime.bigint();
    assert.deepEqual(denial(denied), { code: 'FORBIDDEN', reason: 'SUSPENDED' }, JSON.stringify(denied?.body));
    assert.equal(attempts, 1, 'no request after the suspension is answered as before');
    assert.match(denied.body.errors[0].message, /suspended/);
    assert.deepEqual(denial(await api.gql(token, READ, { id: b.vaultId })), { code: 'FORBIDDEN', reason: 'SUSPENDED' }, 'every vault, without telling them');
    assert.equal((await api.download(token, a.health.downloadPath)).status, 403);

    const ms = (from, to) => Number(to - from) / 1e6;
    const line = `directory: suspension to first denial ${ms(started, firstDenial).toFixed(1)} ms from sending suspendProfessional `
      + `(${ms(suspendedAt, firstDenial).toFixed(1)} ms after its answer; ${attempts} request(s) until denied; embedded server, 1 silo)\n`;
    if (process.env.COFFRE_TEST_REPORT) await appendFile(process.env.COFFRE_TEST_REPORT, line);
    console.log(line.trim());

    const reinstated = await api.ok(directoryAdmin, REINSTATE, { input: { rpps } });
    assert.deepEqual(reinstated.reinstateProfessional.professional, { status: 'ACTIVE', suspendedBy: null });
    assert.equal((await api.ok(token, READ, { id: a.vaultId })).vault.basis, 'GRANT');

    const record = await api.ok(directoryAdmin, 'query P($rpps: Rpps!) { professional(rpps: $rpps) { status history { action by byRoles detail } } }', { rpps });
    assert.deepEqual(record.professional.history.map((e) => [e.action, e.by, e.byRoles]),
      [['registered', 'op-directory-harness', 'directory-admin'], ['suspended', 'op-directory', 'directory-admin'], ['reinstated', 'op-directory', 'directory-admin']]);
  });

  test('a social worker with a Coffre identifier, registered by their establishment, works as a referent', async () => {
    const directoryAdmin = await api.token('operator', 'op-directory', { operatorRoles: 'directory-admin' });
    const finess = newFiness();
    const registered = await api.ok(directoryAdmin, REGISTER_ESTABLISHMENT, { input: { finess, name: 'CCAS de Belleville', kind: 'LEGAL_ENTITY', categoryCode: '411', sector: 'SOCIAL' } });
    assert.deepEqual(registered.registerEstablishment.userErrors, []);
    const head = await api.professional('SOC-AS', { finess });
    const member = await api.professional('SOC-AS', { finess });
    assert.deepEqual((await api.ok(directoryAdmin, SET_MEMBER, { input: { finess, rpps: head.rpps, member: true, admin: true } })).setEstablishmentMember.userErrors, []);
    assert.deepEqual((await api.ok(directoryAdmin, SET_MEMBER, { input: { finess, rpps: member.rpps, member: true } })).setEstablishmentMember.userErrors, []);

    const staff = { finess, displayName: 'Mme Diallo', professionCode: 'SOC-AS', sector: 'SOCIAL' };
    // A plain member, and an admin acting for another establishment, may not register staff.
    assert.deepEqual(denial(await api.gql(member.token, REGISTER_STAFF, { input: staff })).code, 'FORBIDDEN');
    const elsewhere = await api.token('professional', `pro-${head.rpps}`, { rpps: head.rpps, profession: 'SOC-AS' });
    assert.equal(denial(await api.gql(elsewhere, REGISTER_STAFF, { input: staff })).code, 'FORBIDDEN');

    const created = await api.ok(head.token, REGISTER_STAFF, { input: staff });
    assert.deepEqual(created.registerEstablishmentStaff.userErrors, []);
    const { rpps: coffreId, registeredBy, memberships } = created.registerEstablishmentStaff.professional;
    assert.match(coffreId, /^99\d{9}$/, 'a Coffre identifier: 99 + 8 digits + check digit');
    assert.ok(luhnValid(coffreId), 'its last digit is a Luhn check digit');
    assert.equal(registeredBy, `establishment:${finess}`);
    assert.deepEqual(memberships, [{ finess, admin: false }]);

    // Signed in with that identifier (by a provider that carries it as is), acting for the establishment.
    const token = psc.mint(coffreId, { raw: true, profession: '10' });
    const viewer = await api.ok(token, '{ viewer { kind rpps professionCode directoryStanding } }');
    assert.deepEqual(viewer.viewer, { kind: 'PROFESSIONAL', rpps: coffreId, professionCode: 'SOC-AS', directoryStanding: 'ACTIVE' });
    const vaultId = await openVaultAsReferent(api, token, { nir: newNir() });
    const read = await api.ok(token, READ, { id: vaultId });
    assert.equal(read.vault.basis, 'REFERENT');
    const attestation = await deposit(api, token, vaultId, { title: 'Attestation de domiciliation', classCode: '52', typeCode: 'ATTEST-RESID' }, '%PDF-1.4 x', 'application/pdf');
    assert.ok(attestation.documentId);
    const owner = await api.token('patient', vaultId);
    const history = await accessHistory(api, owner, vaultId);
    assert.ok(history.some((e) => e.actorId === coffreId && e.operation === 'vault.create' && e.allowed));
  });
});

// ------------------------------------------------------------------ item 6

describe('item 6: operators have roles', () => {
  const rolesToken = (roles) => api.token('operator', `op-${roles}`, { operatorRoles: roles });

  test('each role is allowed its actions and refused the others (FORBIDDEN, OperatorRoleMissing)', async () => {
    const [support, rollout, directory, none] = await Promise.all(['support', 'rollout', 'directory-admin', 'none'].map(rolesToken));
    const viewer = await api.ok(support, '{ viewer { operatorRoles } }');
    assert.deepEqual(viewer.viewer.operatorRoles, ['support']);
    assert.deepEqual((await api.ok(await api.token('operator', 'op-dev'), '{ viewer { operatorRoles } }')).viewer.operatorRoles,
      ['support', 'rollout', 'directory-admin'], 'a dev token without --operator-roles has every role');

    const actions = {
      vault: async (t) => { const v = await vaultWithDocument(); return api.gql(t, 'query Q($id: ID!) { vault(id: $id) { status } }', { id: v.vaultId }); },
      closeVault: async (t) => { const v = await vaultWithDocument(); return api.gql(t, CLOSE, { input: { vaultId: v.vaultId } }); },
      statistics: (t) => api.gql(t, '{ operatorStatistics { silo } }'),
      recordOpposition: (t) => api.gql(t, OPPOSE, { input: { nir: newNir() } }),
      registerProfessional: (t) => api.gql(t, REGISTER_PROFESSIONAL, { input: { rpps: newRpps(), displayName: 'Dr Test', professionCode: '10', sector: 'HEALTH' } }),
      suspendProfessional: async (t) => { const p = await api.professional('10'); return api.gql(t, SUSPEND, { input: { rpps: p.rpps, reason: 'test' } }); },
    };
    const allowed = {
      support: ['vault', 'closeVault', 'statistics'],
      rollout: ['recordOpposition'],
      'directory-admin': ['registerProfessional', 'suspendProfessional'],
      none: [],
    };
    const tokens = { support, rollout, 'directory-admin': directory, none };
    for (const [role, token] of Object.entries(tokens)) {
      for (const [name, run] of Object.entries(actions)) {
        const r = await run(token);
        const what = `${role} → ${name}: ${JSON.stringify(r.body)}`;
        assert.equal(r.status, 200, what);
        if (allowed[role].includes(name)) {
          assert.equal(r.body.errors, undefined, what);
          const payload = Object.values(r.body.data)[0];
          if (payload && 'userErrors' in payload) assert.deepEqual(payload.userErrors, [], what);
        } else {
          assert.deepEqual(denial(r), { code: 'FORBIDDEN', reason: 'OPERATOR_ROLE_MISSING' }, what);
          assert.match(r.body.errors[0].message, /operator role/, what);
        }
      }
    }
  });

  test("the person sees operators' actions on their vault, with the operator's role", async () => {
    const v = await vaultWithDocument();
    const parentVault = await openVaultAsReferent(api, v.socialWorker.token, { familyName: 'Parent', givenNames: 'Un' });
    const [support, directory] = await Promise.all(['support', 'directory-admin'].map(rolesToken));
    await api.ok(support, 'query Q($id: ID!) { vault(id: $id) { status } }', { id: v.vaultId });
    await addRepresentative(api, support, v.vaultId, parentVault, 'TUTOR');
    const refused = await api.gql(directory, CLOSE, { input: { vaultId: v.vaultId } });
    assert.deepEqual(denial(refused), { code: 'FORBIDDEN', reason: 'OPERATOR_ROLE_MISSING' });

    const history = await accessHistory(api, v.owner, v.vaultId);
    const byOperators = history.filter((e) => e.actorKind === 'OPERATOR').sort((x, y) => x.sequence - y.sequence);
    const seen = byOperators.map((e) => [e.actorId, e.operation, e.allowed, e.basis, e.reason]);
    assert.deepEqual(seen.filter(([id]) => id === 'op-support'), [
      ['op-support', 'vault.read', true, 'OPERATOR', 'NONE'],
      ['op-support', 'representative.add', true, 'OPERATOR', 'NONE'],
    ], JSON.stringify(byOperators));
    assert.ok(seen.some(([id, op, ok, , reason]) => id === 'op-directory-admin' && op === 'vault.close' && !ok && reason === 'OPERATOR_ROLE_MISSING'), JSON.stringify(byOperators));
    const roles = await api.ok(v.owner, `query H($id: ID!) { vault(id: $id) { accessHistory(first: 200) { edges { node { actorId actorRole actorProfession } } } } }`, { id: v.vaultId });
    const operatorRows = roles.vault.accessHistory.edges.map((e) => e.node).filter((n) => n.actorId.startsWith('op-'));
    assert.ok(operatorRows.length >= 3);
    for (const row of operatorRows) {
      assert.equal(row.actorRole, row.actorId === 'op-support' ? 'support' : 'directory-admin');
      assert.equal(row.actorProfession, null);
    }
  });
});
