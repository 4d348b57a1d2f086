// Issue 11, part 2: searching the directory over real HTTP, as a front end does (graphql-js parses and validates
// every operation against the served schema before it is sent). The embedded server's directory index is fed by the
// professional and establishment grains: registering, renaming, suspending and memberships show in the next search.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { buildClientSchema, getIntrospectionQuery, parse, validate } from 'graphql';
import { useServer, newRpps, newNir, luhnDigit, openVaultAsReferent } from './harness.mjs';

const SEARCH = `query Search($filter: DirectorySearchFilter!, $first: Int, $after: String) {
  directorySearch(filter: $filter, first: $first, after: $after) {
    edges {
      cursor
      node {
        kind identifier name status sector town departement
        profession { code label }
        establishment { finess name town departement }
        establishments { finess name }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;
const REGISTER_ESTABLISHMENT = `mutation M($input: RegisterEstablishmentInput!) { registerEstablishment(input: $input) { establishment { finess } userErrors { code field message } } }`;
const SET_MEMBER = `mutation M($input: SetEstablishmentMemberInput!) { setEstablishmentMember(input: $input) { establishment { finess } userErrors { code field message } } }`;
const SUSPEND = `mutation S($input: SuspendProfessionalInput!) { suspendProfessional(input: $input) { professional { status } userErrors { code field message } } }`;

/** A valid FINESS in département `dep` (two digits), distinct per call. */
let finessSeq = 100;
const finessIn = (dep) => {
  const body = dep + String(finessSeq++).padStart(6, '0');
  return body + luhnDigit(body);
};

let schema;
const scene = {};
const api = useServer([], async (ctx) => {
  schema = buildClientSchema((await ctx.ok(null, getIntrospectionQuery())));
  const admin = await ctx.token('operator', 'op-directory-search', { operatorRoles: 'directory-admin' });
  const establishment = async (name, town, postalCode, sector = 'HEALTH') => {
    const finess = finessIn(postalCode.slice(0, 2));
    const r = (await ctx.ok(admin, REGISTER_ESTABLISHMENT, { input: { finess, name, kind: 'LEGAL_ENTITY', categoryCode: '355', sector, town, postalCode } })).registerEstablishment;
    assert.deepEqual(r.userErrors, []);
    return finess;
  };
  const professional = async (name, profession) => {
    const rpps = newRpps();
    await ctx.registerProfessional(rpps, profession, name);
    return rpps;
  };
  scene.admin = admin;
  scene.helios = await establishment('Hôpital Hélios', 'Paris', '75010');
  scene.tilleuls = await establishment('EHPAD Les Tilleuls', 'Lyon', '69003', 'MEDICO_SOCIAL');
  scene.drMartin = await professional('Dr Hélène Martin', '10');
  scene.martinNurse = await professional('MARTIN Hélène', '60');
  scene.suspended = await professional('Hélène Suspendue', '10');
  for (const [finess, rpps] of [[scene.helios, scene.drMartin], [scene.tilleuls, scene.martinNurse], [scene.helios, scene.suspended]]) {
    assert.deepEqual((await ctx.ok(admin, SET_MEMBER, { input: { finess, rpps, member: true } })).setEstablishmentMember.userErrors, []);
  }
  assert.deepEqual((await ctx.ok(admin, SUSPEND, { input: { rpps: scene.suspended, reason: 'Radiation ordinale provisoire' } })).suspendProfessional.userErrors, []);
  // The callers: a person (owner of a vault), a professional, an operator with no role at all.
  const socialWorker = await ctx.professional('SOC-AS');
  scene.person = await ctx.token('patient', await openVaultAsReferent(ctx, socialWorker.token, { nir: newNir() }));
  scene.doctor = (await ctx.professional('10')).token;
  scene.operator = await ctx.token('operator', 'op-no-role', { operatorRoles: 'none' });
});

/** Sends a search that graphql-js validated against the served schema; returns the HTTP answer. */
async function search(token, filter, extra = {}, query = SEARCH) {
  assert.deepEqual(validate(schema, parse(query)), [], 'the operation is valid against the served schema');
  return api.gql(token, query, { filter, ...extra });
}

async function entries(token, filter, extra) {
  const r = await search(token, filter, extra);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
  return r.body.data.directorySearch;
}

const names = (connection) => connection.edges.map((e) => e.node.name);
const firstError = (r) => r.body.errors?.[0] ?? {};

describe('directory search: who may search and what they see', () => {
  test('anonymous callers are refused before anything is searched', async () => {
    const r = await search(null, { name: 'hel' });
    assert.equal(firstError(r).extensions?.code, 'UNAUTHENTICATED', JSON.stringify(r.body));
    assert.equal(firstError(r).extensions?.reason, 'NOT_AUTHENTICATED');
    assert.equal(r.body.data?.directorySearch ?? null, null);
  });

  test('a person sees public entries only: name, profession, establishment and town, never suspended professionals', async () => {
    const found = await entries(scene.person, { name: 'hel' });
    assert.deepEqual(names(found), ['Dr Hélène Martin', 'Hôpital Hélios', 'MARTIN Hélène']);
    const dr = found.edges[0].node;
    assert.deepEqual(dr, {
      kind: 'PROFESSIONAL', identifier: scene.drMartin, name: 'Dr Hélène Martin', status: 'ACTIVE', sector: 'HEALTH', town: 'Paris', departement: '75',
      profession: { code: '10', label: dr.profession.label },
      establishment: { finess: scene.helios, name: 'Hôpital Hélios', town: 'Paris', departement: '75' },
      establishments: [{ finess: scene.helios, name: 'Hôpital Hélios' }],
    });
    assert.ok(dr.profession.label, 'the matrix labels profession 10');
    const hospital = found.edges[1].node;
    assert.deepEqual([hospital.kind, hospital.identifier, hospital.profession, hospital.establishment, hospital.town], ['ESTABLISHMENT', scene.helios, null, null, 'Paris']);
    // Private fields are not part of a directory entry at all.
    for (const field of ['history', 'memberships', 'suspensionReason', 'suspendedBy', 'members']) {
      const query = `query($filter: DirectorySearchFilter!) { directorySearch(filter: $filter) { edges { node { ${field} } } } }`;
      assert.ok(validate(schema, parse(query)).length > 0, `${field} is not a DirectoryEntry field`);
    }
  });

  test('a professional does not see suspended professionals either; an operator (any role) sees them with their status', async () => {
    assert.deepEqual(names(await entries(scene.doctor, { name: 'suspendue' })), []);
    const seen = await entries(scene.operator, { name: 'suspendue' });
    assert.deepEqual(seen.edges.map((e) => [e.node.identifier, e.node.status]), [[scene.suspended, 'SUSPENDED']]);
  });
});

describe('directory search: filters', () => {
  test('a name is a case- and accent-insensitive prefix of any word', async () => {
    assert.deepEqual(names(await entries(scene.doctor, { name: 'HÉLÈNE' })), ['Dr Hélène Martin', 'MARTIN Hélène']);
    assert.deepEqual(names(await entries(scene.doctor, { name: 'mart hel' })), ['Dr Hélène Martin', 'MARTIN Hélène']);
    assert.deepEqual(names(await entries(scene.doctor, { name: 'elene' })), []);
  });

  test('profession, establishment, département, sector and kind, alone or together', async () => {
    assert.deepEqual(names(await entries(scene.person, { profession: '60' })), ['MARTIN Hélène']);
    assert.deepEqual(names(await entries(scene.person, { establishment: scene.helios })), ['Dr Hélène Martin']);
    assert.deepEqual(names(await entries(scene.person, { departement: '69' })), ['EHPAD Les Tilleuls', 'MARTIN Hélène']);
    assert.deepEqual(names(await entries(scene.person, { departement: '69', kind: 'PROFESSIONAL' })), ['MARTIN Hélène']);
    assert.deepEqual(names(await entries(scene.person, { sector: 'MEDICO_SOCIAL' })), ['EHPAD Les Tilleuls']);
    assert.deepEqual(names(await entries(scene.person, { name: 'hel', kind: 'ESTABLISHMENT', departement: '75' })), ['Hôpital Hélios']);
    assert.deepEqual(names(await entries(scene.person, { name: 'hel', profession: '10', departement: '69' })), []);
  });

  test('a renamed establishment shows on its members at once', async () => {
    const finess = finessIn('13');
    const register = (name) => api.ok(scene.admin, REGISTER_ESTABLISHMENT, { input: { finess, name, kind: 'LEGAL_ENTITY', categoryCode: '355', sector: 'HEALTH', town: 'Marseille', postalCode: '13005' } });
    await register('Clinique Avant');
    const rpps = newRpps();
    await api.registerProfessional(rpps, '10', 'Dr Renommé Exemple');
    await api.ok(scene.admin, SET_MEMBER, { input: { finess, rpps, member: true } });
    await register('Clinique Après');
    const member = (await entries(scene.person, { name: 'renomme' })).edges[0].node;
    assert.deepEqual(member.establishment, { finess, name: 'Clinique Après', town: 'Marseille', departement: '13' });
  });
});

describe('directory search: pagination and bad input', () => {
  test('a cursor walk returns every entry once, in order, with pageInfo', async () => {
    const created = [];
    for (let i = 0; i < 7; i++) {
      const rpps = newRpps();
      created.push(rpps);
      await api.registerProfessional(rpps, 'SOC-AS', `Zoé Pagination ${String.fromCharCode(97 + (i % 3))}`);
    }
    const seen = [];
    let after = null;
    let pages = 0;
    for (;;) {
      const page = await entries(scene.person, { name: 'zoe pag' }, { first: 3, after });
      pages++;
      seen.push(...page.edges.map((e) => e.node.identifier));
      assert.equal(page.pageInfo.endCursor, page.edges.at(-1)?.cursor ?? null);
      if (!page.pageInfo.hasNextPage) break;
      assert.equal(page.edges.length, 3);
      after = page.pageInfo.endCursor;
    }
    assert.equal(pages, 3);
    assert.deepEqual([...seen].sort(), [...created].sort(), 'every entry once');
    assert.equal(new Set(seen).size, 7);
  });

  test('no filter, a one-letter name, first over 50 and a foreign cursor are VALIDATION errors naming the field', async () => {
    const cases = [
      [{}, {}, 'filter'],
      [{ name: 'h' }, {}, 'filter.name'],
      [{ departement: '20' }, {}, 'filter.departement'],
      [{ name: 'hel' }, { first: 51 }, 'first'],
      [{ name: 'hel' }, { after: 'not-a-cursor' }, 'after'],
    ];
    for (const [filter, extra, field] of cases) {
      const r = await search(scene.person, filter, extra);
      assert.equal(firstError(r).extensions?.code, 'VALIDATION', JSON.stringify(r.body));
      assert.equal(firstError(r).extensions?.field, field, JSON.stringify(r.body));
    }
  });
});
