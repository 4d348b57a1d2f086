// GraphQL over HTTP conformance, limits, error codes, and the graphql-transport-ws endpoint with the real graphql-ws
// client (and raw `ws` for what the client cannot do wrong on purpose).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildClientSchema, buildSchema, getIntrospectionQuery, parse, print, validate } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { useServer, buildScene, grant, accessHistory, newNir, REPO, MINOR_BIRTH_DATE, schemaDifferences } from './harness.mjs';

let scene;
const NIR = newNir();
const api = useServer([], async (ctx) => {
  scene = await buildScene(ctx, { nir: NIR });
});

const post = (body, headers = {}) => fetch(`${api.baseUrl}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

async function json(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    assert.fail(`response is not JSON (${response.status}): ${text.slice(0, 300)}`);
  }
}

/** A request error: the status, one error with the code, and no `data` key at all (nothing was executed). */
async function assertRequestError(response, status, code) {
  const body = await json(response);
  assert.equal(response.status, status, JSON.stringify(body));
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, JSON.stringify(body));
  assert.equal(body.errors[0].extensions?.code, code, JSON.stringify(body));
  assert.equal('data' in body, false, `a request error carries no data: ${JSON.stringify(body)}`);
  return body;
}

describe('GraphQL over HTTP', () => {
  test('GET runs a query, with variables and operationName', async () => {
    const query = 'query Service { service { name role } } query Viewer { viewer { kind } }';
    const url = `${api.baseUrl}/graphql?query=${encodeURIComponent(query)}&operationName=Service`;
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.deepEqual(await json(response), { data: { service: { name: 'coffre', role: 'embedded' } } });

    const withVariables = `${api.baseUrl}/graphql?query=${encodeURIComponent('query V($id: ID!) { vault(id: $id) { vaultId } }')}&variables=${encodeURIComponent(JSON.stringify({ id: scene.vaultId }))}`;
    const owned = await fetch(withVariables, { headers: api.auth(scene.owner.token) });
    assert.deepEqual(await json(owned), { data: { vault: { vaultId: scene.vaultId } } });
  });

  test('GET with a mutation → 405 METHOD_NOT_ALLOWED, and nothing is done', async () => {
    const mutation = `mutation { closeVault(input: { vaultId: "${scene.vaultId}" }) { vault { status } } }`;
    const response = await fetch(`${api.baseUrl}/graphql?query=${encodeURIComponent(mutation)}`, { headers: api.auth(scene.owner.token) });
    await assertRequestError(response, 405, 'METHOD_NOT_ALLOWED');
    const data = await api.ok(scene.owner.token, 'query Q($id: ID!) { vault(id: $id) { status } }', { id: scene.vaultId });
    assert.equal(data.vault.status, 'ACTIVE');
  });

  test('another method → 405 with Allow: GET, POST', async () => {
    const response = await fetch(`${api.baseUrl}/graphql`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(response.headers.get('allow'), 'GET, POST');
    await assertRequestError(response, 405, 'METHOD_NOT_ALLOWED');
  });

  test('invalid JSON → 400 BAD_REQUEST; no query → 400 BAD_REQUEST; not JSON → 415', async () => {
    const broken = await assertRequestError(await post('{"query": '), 400, 'BAD_REQUEST');
    assert.equal(broken.errors[0].extensions.field, 'body');
    assert.match(broken.errors[0].message, /not valid JSON .*line 1, byte \d+/);
    const noQuery = await assertRequestError(await post({ variables: {} }), 400, 'BAD_REQUEST');
    assert.equal(noQuery.errors[0].extensions.field, 'query');
    const form = await fetch(`${api.baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{ service { name } }' });
    await assertRequestError(form, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  test('a body of the wrong shape → 400 BAD_REQUEST naming the field and its rule', async () => {
    for (const [body, field, rule] of [
      [{ query: 5 }, 'query', /'query' must be a string/],
      [{ query: '{ service { name } }', variables: '{"id": 1}' }, 'variables', /'variables' must be a JSON object/],
      [{ query: '{ service { name } }', variables: [1] }, 'variables', /'variables' must be a JSON object/],
      [{ query: '{ service { name } }', operationName: 7 }, 'operationName', /'operationName' must be a string/],
      [[{ query: '{ service { name } }' }], 'body', /batches .* are not accepted/],
    ]) {
      const answer = await assertRequestError(await post(body), 400, 'BAD_REQUEST');
      assert.equal(answer.errors[0].extensions.field, field, JSON.stringify(answer));
      assert.match(answer.errors[0].message, rule);
    }
  });

  test('parse error → 400 GRAPHQL_PARSE_FAILED', async () => {
    const body = await assertRequestError(await post({ query: '{ service { ' }), 400, 'GRAPHQL_PARSE_FAILED');
    assert.match(body.errors[0].message, /Syntax Error/);
  });

  test('unknown field → 400 with the validation error', async () => {
    const body = await assertRequestError(await post({ query: '{ nope }' }), 400, 'FIELDS_ON_CORRECT_TYPE');
    assert.match(body.errors[0].message, /nope/);
    assert.deepEqual(body.errors[0].locations, [{ line: 1, column: 3 }]);
  });

  test('Accept: application/graphql-response+json is honoured; application/json otherwise', async () => {
    const modern = await post({ query: '{ service { name } }' }, { accept: 'application/graphql-response+json' });
    assert.equal(modern.status, 200);
    assert.match(modern.headers.get('content-type'), /^application\/graphql-response\+json/);
    assert.deepEqual(await json(modern), { data: { service: { name: 'coffre' } } });
    const modernError = await post({ query: '{ nope }' }, { accept: 'application/graphql-response+json, application/json;q=0.9' });
    assert.equal(modernError.status, 400);
    assert.match(modernError.headers.get('content-type'), /^application\/graphql-response\+json/);
    const classic = await post({ query: '{ service { name } }' }, { accept: 'application/json' });
    assert.match(classic.headers.get('content-type'), /^application\/json/);
  });

  test('a field error is 200 with data and errors side by side', async () => {
    const { status, body } = await api.gql(scene.otherPatient.token, 'query Q($id: ID!) { service { name } vault(id: $id) { vaultId } }', { id: scene.vaultId });
    assert.equal(status, 200);
    assert.deepEqual(body.data, { service: { name: 'coffre' }, vault: null });
    assert.equal(body.errors[0].extensions.code, 'FORBIDDEN');
    assert.deepEqual(body.errors[0].path, ['vault']);
  });

  test('an invalid or foreign-signed token is refused with 401, never taken for anonymous', async () => {
    for (const token of ['not-a-jwt', scene.owner.token.slice(0, -4) + 'AAAA']) {
      const { status, body } = await api.gql(token, 'query Q($id: ID!) { viewer { kind } vault(id: $id) { vaultId } }', { id: scene.vaultId });
      assert.equal(status, 401);
      assert.equal(body.errors[0].extensions.code, 'UNAUTHENTICATED');
      assert.equal(body.data, undefined);
    }
  });

  test('viewer says who the token is, and a person\'s own vault', async () => {
    const person = await api.ok(scene.owner.token, '{ viewer { kind subject rpps professionCode vault { vaultId basis capabilities } } }');
    assert.equal(person.viewer.kind, 'PATIENT');
    assert.equal(person.viewer.subject, scene.vaultId);
    assert.equal(person.viewer.vault.vaultId, scene.vaultId);
    assert.equal(person.viewer.vault.basis, 'OWNER');
    assert.ok(person.viewer.vault.capabilities.includes('MANAGE_ACCESS'));
    assert.ok(!person.viewer.vault.capabilities.includes('BREAK_GLASS'));
    // subject is the token's sub claim: the harness mints professionals' tokens with sub pro-<rpps>.
    const doctor = await api.ok(scene.doctor.token, '{ viewer { kind subject rpps professionCode vault { vaultId } } }');
    assert.deepEqual(doctor.viewer, { kind: 'PROFESSIONAL', subject: `pro-${scene.doctor.rpps}`, rpps: scene.doctor.rpps, professionCode: '10', vault: null });
    const anonymous = await api.ok(null, '{ viewer { kind subject } }');
    assert.deepEqual(anonymous.viewer, { kind: 'ANONYMOUS', subject: null }, 'no token, no subject');
  });
});

describe('limits', () => {
  test('a depth bomb → 400 COMPLEXITY (MaxDepth 12)', async () => {
    let selection = 'name';
    for (let i = 0; i < 14; i++) selection = `ofType { ${selection} }`;
    const body = await assertRequestError(await post({ query: `{ __schema { types { fields { type { ${selection} } } } } }` }), 400, 'COMPLEXITY');
    assert.match(body.errors[0].message, /nested|depth/i);
  });

  test('an over-complex query → 400 COMPLEXITY (MaxComplexity 5000)', async () => {
    const fragment = 'fragment F on Document { documentId title classCode typeCode author { id kind } sha256 size downloadPath createdAt }';
    const fields = Array.from({ length: 25 }, (_, i) => `v${i}: vault(id: $id) { documents(first: 100) { edges { cursor node { ...F } } } }`).join(' ');
    const response = await post({ query: `query Q($id: ID!) { ${fields} } ${fragment}`, variables: { id: scene.vaultId } }, api.auth(scene.owner.token));
    const body = await assertRequestError(response, 400, 'COMPLEXITY');
    assert.match(body.errors[0].message, /complex/i);
  });

  test('30 aliases pass; 31 → 400 MAX_ALIASES', async () => {
    const aliases = (n) => Array.from({ length: n }, (_, i) => `a${i}: service { name }`).join(' ');
    const thirty = await post({ query: `{ ${aliases(30)} }` });
    assert.equal(thirty.status, 200);
    assert.equal(Object.keys((await json(thirty)).data).length, 30);
    // BUG: MaxAliasesRule passes "MAX_ALIASES" as GraphQL.NET ValidationError's `number` argument, not its code: the
    // response says extensions.code VALIDATION_ERROR and extensions.number MAX_ALIASES. Same in NoIntrospectionRule
    // (INTROSPECTION_DISABLED). Fix: set Code on the ValidationError.
    const body = await json(await post({ query: `{ ${aliases(31)} }` }));
    assert.match(body.errors?.[0]?.message ?? '', /more than 30 aliases/, JSON.stringify(body));
    assert.equal(body.errors[0].extensions.code, 'MAX_ALIASES', `expected code MAX_ALIASES: ${JSON.stringify(body.errors[0].extensions)}`);
  });

  test('a query document over 64 KiB → 400 DOCUMENT_TOO_LARGE', async () => {
    const query = `{ service { name } } # ${'x'.repeat(64 * 1024)}`;
    await assertRequestError(await post({ query }), 400, 'DOCUMENT_TOO_LARGE');
  });

  test('a request body over 1 MiB → 413 REQUEST_TOO_LARGE', async () => {
    const response = await post({ query: '{ service { name } }', variables: { padding: 'x'.repeat(1024 * 1024 + 1) } });
    await assertRequestError(response, 413, 'REQUEST_TOO_LARGE');
  });

  test('nodes(ids:) takes at most 50 ids → VALIDATION on ids', async () => {
    const ids = Array.from({ length: 51 }, () => 'x');
    const { body } = await api.gql(scene.owner.token, 'query Q($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids });
    assert.equal(body.errors?.[0]?.extensions?.code, 'VALIDATION', JSON.stringify(body));
    assert.equal(body.errors[0].extensions.field, 'ids');
  });
});

describe('introspection', () => {
  test('introspection is allowed in embedded', async () => {
    const data = await api.ok(null, '{ __schema { queryType { name } mutationType { name } subscriptionType { name } } __type(name: "Vault") { kind fields { name } } }');
    assert.deepEqual(data.__schema, { queryType: { name: 'Query' }, mutationType: { name: 'Mutation' }, subscriptionType: { name: 'Subscription' } });
    assert.equal(data.__type.kind, 'OBJECT');
    assert.ok(data.__type.fields.some((f) => f.name === 'documents'));
  });

  test('the standard introspection query of GraphQL tooling is served, and it is the committed schema.graphql', async () => {
    // BUG: the introspection query every tool sends (graphql-js getIntrospectionQuery(), as GraphiQL, Apollo
    // Sandbox, graphql-codegen and IDE plugins do) is refused with 400 COMPLEXITY: "Maximum depth is 15 levels;
    // maximum allowed on this endpoint is 12" (its TypeRef fragment nests ofType 9 deep), and with a shallower
    // TypeRef its complexity (~700 000 to 1 100 000) is far above 5000. So "introspection allowed in embedded" helps
    // no tool. Fix: leave introspection fields (__schema, __type) out of the depth/complexity analysis, or give
    // introspection its own limits.
    const response = await post({ query: getIntrospectionQuery() });
    const body = await json(response);
    assert.equal(response.status, 200, `standard introspection refused: ${JSON.stringify(body.errors)}`);
    assert.equal(body.errors, undefined);
    const served = buildClientSchema(body.data);
    const committed = buildSchema(await readFile(join(REPO, 'schema.graphql'), 'utf8'));
    const differences = schemaDifferences(committed, served);
    assert.deepEqual(differences, []);
  });
});

describe('stable error codes', () => {
  test('VALIDATION with extensions.field: a malformed vault id', async () => {
    const { status, body } = await api.gql(scene.owner.token, '{ vault(id: "not-a-vault") { vaultId } }');
    assert.equal(status, 200);
    assert.equal(body.errors[0].extensions.code, 'VALIDATION');
    assert.equal(body.errors[0].extensions.field, 'id');
    assert.deepEqual(body.data, { vault: null });
  });

  test('VALIDATION with extensions.field: a bad custom scalar (an invalid Rpps)', async () => {
    // BUG (contract): a value a custom scalar (Rpps, Finess, Nir, Sha256) refuses comes back as GraphQL.NET's own
    // validation codes — ARGUMENTS_OF_CORRECT_TYPE for a literal, INVALID_VALUE for a variable — with no
    // extensions.field, so a form cannot tell which input to highlight. Expected: 400 with code VALIDATION and
    // field naming the argument or input field.
    const literal = await api.gql(scene.operator.token, '{ professional(rpps: "12345678901") { rpps } }');
    assert.equal(literal.status, 400, JSON.stringify(literal.body));
    const variable = await api.gql(scene.operator.token, 'query Q($rpps: Rpps!) { professional(rpps: $rpps) { rpps } }', { rpps: '12345678901' });
    assert.equal(variable.status, 400, JSON.stringify(variable.body));
    assert.match(literal.body.errors[0].message, /Rpps/);
    assert.deepEqual(
      [literal.body.errors[0].extensions, variable.body.errors[0].extensions].map((e) => ({ code: e.code, field: e.field })),
      [{ code: 'VALIDATION', field: 'rpps' }, { code: 'VALIDATION', field: 'rpps' }],
      `got ${JSON.stringify(literal.body.errors[0].extensions)} and ${JSON.stringify(variable.body.errors[0].extensions)}`);
  });

  test('NOT_FOUND with extensions.field: a vault that does not exist, a document that does not exist', async () => {
    const vault = await api.gql(scene.operator.token, '{ vault(id: "v-00000000000000000000") { vaultId } }');
    assert.equal(vault.body.errors[0].extensions.code, 'NOT_FOUND');
    assert.equal(vault.body.errors[0].extensions.field, 'vaultId');
    const document = await api.gql(scene.owner.token, 'query Q($id: ID!) { vault(id: $id) { vaultId document(documentId: "d-000999-nothere0") { title } } }', { id: scene.vaultId });
    assert.equal(document.body.errors[0].extensions.code, 'NOT_FOUND');
    assert.equal(document.body.errors[0].extensions.field, 'documentId');
    assert.deepEqual(document.body.data, { vault: { vaultId: scene.vaultId, document: null } });
  });

  test('expected failures of a mutation are userErrors (code, field), not top-level errors', async () => {
    const both = await api.gql(scene.owner.token, 'mutation M($input: GrantAccessInput!) { grantAccess(input: $input) { grant { id } userErrors { code field message } } }',
      { input: { vaultId: scene.vaultId, rpps: scene.noBasis.rpps, finess: '750000002' } });
    assert.equal(both.status, 200, JSON.stringify(both.body));
    assert.equal(both.body.errors, undefined);
    assert.deepEqual(both.body.data.grantAccess.grant, null);
    assert.deepEqual(both.body.data.grantAccess.userErrors.map((e) => [e.code, e.field]), [['VALIDATION', 'rpps']]);

    const shortReason = await api.ok(scene.doctor.token, 'mutation M($input: BreakGlassInput!) { breakGlass(input: $input) { session { rpps } userErrors { code field message } } }',
      { input: { vaultId: scene.vaultId, reason: 'urgent' } });
    assert.deepEqual(shortReason.breakGlass.userErrors.map((e) => [e.code, e.field]), [['VALIDATION', 'reason']]);
    assert.equal(shortReason.breakGlass.session, null);

    const unknownGrant = await api.ok(scene.owner.token, 'mutation M($input: RevokeAccessInput!) { revokeAccess(input: $input) { revokedGrantId userErrors { code field } } }',
      { input: { vaultId: scene.vaultId, grantId: 'g-nothing' } });
    assert.deepEqual(unknownGrant.revokeAccess.userErrors, [{ code: 'NOT_FOUND', field: 'grantId' }]);
  });

  test('no error carries a stack trace or an exception type', async () => {
    const samples = await Promise.all([
      api.gql(scene.otherPatient.token, 'query Q($id: ID!) { vault(id: $id) { vaultId } }', { id: scene.vaultId }),
      api.gql(null, 'mutation { closeVault(input: { vaultId: "x" }) { vault { vaultId } } }'),
      api.gql(scene.operator.token, '{ vault(id: "v-00000000000000000000") { vaultId } }'),
      api.gql(scene.owner.token, '{ vault(id: "%%%") { vaultId } }'),
    ]);
    for (const { body } of samples) {
      assert.ok(body.errors?.length > 0);
      assert.doesNotMatch(JSON.stringify(body), /Exception|\bat Coffre\.|\.cs:line|stack/i);
    }
  });
});

describe('a person signs in with a passphrase', () => {
  const SET_PASSPHRASE = `mutation SetPassphrase($input: SetPassphraseInput!) {
  setPassphrase(input: $input) { passphraseSet userErrors { code field message } }
}`;
  const SIGN_IN = `mutation SignIn($input: SignInInput!) {
  signIn(input: $input) { session { vaultId token } userErrors { code field message } }
}`;
  const PASSPHRASE = 'four random words are easy';

  test('setPassphrase, then signIn with NIR, birth date and passphrase gives a working token', async () => {
    const set = await api.ok(scene.owner.token, SET_PASSPHRASE, { input: { vaultId: scene.vaultId, passphrase: PASSPHRASE } });
    assert.deepEqual(set.setPassphrase, { passphraseSet: true, userErrors: [] });
    const short = await api.ok(scene.owner.token, SET_PASSPHRASE, { input: { vaultId: scene.vaultId, passphrase: 'too short' } });
    assert.deepEqual(short.setPassphrase.userErrors.map((e) => [e.code, e.field]), [['VALIDATION', 'passphrase']]);

    const signedIn = await api.ok(null, SIGN_IN, { input: { nir: NIR, birthDate: MINOR_BIRTH_DATE, passphrase: PASSPHRASE } });
    assert.deepEqual(signedIn.signIn.userErrors, []);
    assert.equal(signedIn.signIn.session.vaultId, scene.vaultId);
    const viewer = await api.ok(signedIn.signIn.session.token, '{ viewer { kind subject vault { vaultId basis } } }');
    assert.deepEqual(viewer.viewer, { kind: 'PATIENT', subject: scene.vaultId, vault: { vaultId: scene.vaultId, basis: 'OWNER' } });
  });

  test('every failed sign-in gets the same answer: SIGN_IN_REFUSED on passphrase', async () => {
    for (const input of [
      { nir: NIR, birthDate: MINOR_BIRTH_DATE, passphrase: 'not the right passphrase' },
      { nir: NIR, birthDate: MINOR_BIRTH_DATE.replace(/-17$/, '-18'), passphrase: PASSPHRASE },
      { nir: newNir(), birthDate: MINOR_BIRTH_DATE, passphrase: PASSPHRASE },
      { nir: 'garbage', birthDate: MINOR_BIRTH_DATE, passphrase: PASSPHRASE },
    ]) {
      const data = await api.ok(null, SIGN_IN, { input });
      assert.equal(data.signIn.session, null);
      assert.deepEqual(data.signIn.userErrors.map((e) => [e.code, e.field]), [['SIGN_IN_REFUSED', 'passphrase']], JSON.stringify(input));
    }
  });
});

// ------------------------------------------------------------------ graphql-transport-ws

const wsUrl = () => `${api.baseUrl.replace(/^http/, 'ws')}/graphql`;

/** A graphql-ws client (the real npm client) that records how its socket closed. */
function wsClient(token) {
  const closes = [];
  const client = createClient({
    url: wsUrl(),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    lazy: true,
    retryAttempts: 0,
    on: { closed: (event) => closes.push({ code: event.code, reason: event.reason }) },
  });
  return { client, closes };
}

/** Subscribes and exposes a queue: await take(timeoutMs) for the next result; `done` resolves on complete/error. */
function subscribe(client, payload) {
  const queue = [];
  const waiters = [];
  let ended = null;
  let resolveDone;
  const push = (item) => {
    const waiter = waiters.shift();
    if (waiter) waiter(item);
    else queue.push(item);
  };
  const done = new Promise((resolve) => { resolveDone = resolve; });
  const unsubscribe = client.subscribe(payload, {
    next: (value) => push({ next: value }),
    error: (error) => { ended = { error }; push(ended); resolveDone(ended); },
    complete: () => { ended = ended ?? { complete: true }; push({ complete: true }); resolveDone(ended); },
  });
  return {
    done,
    unsubscribe,
    take: (timeoutMs) => (queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message within ${timeoutMs} ms`)), timeoutMs);
      waiters.push((item) => { clearTimeout(timer); resolve(item); });
    })),
  };
}

/** A raw WebSocket on the graphql-transport-ws subprotocol; resolves once open. */
function rawSocket(protocol = 'graphql-transport-ws') {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl(), protocol ? [protocol] : []);
    const messages = [];
    const closed = new Promise((r) => socket.on('close', (code, reason) => r({ code, reason: reason.toString(), at: Date.now() })));
    socket.on('message', (data) => messages.push(JSON.parse(data.toString())));
    socket.once('open', () => resolve({ socket, messages, closed, openedAt: Date.now() }));
    socket.once('unexpected-response', (_, response) => reject(Object.assign(new Error(`HTTP ${response.statusCode}`), { statusCode: response.statusCode })));
    socket.once('error', reject);
  });
}

describe('graphql-transport-ws', () => {
  // Opened first and left silent: the server must close them with 4408 after 10 s without connection_init. The
  // assertion comes last, so the other tests run while they wait. Four sockets, because the bug below is a race.
  let idle;
  before(async () => {
    idle = await Promise.all([rawSocket(), rawSocket(), rawSocket(), rawSocket()]);
  });

  test('a query over WebSocket with the graphql-ws client', async () => {
    const { client } = wsClient(scene.owner.token);
    try {
      const s = subscribe(client, { query: '{ viewer { kind subject } }' });
      const first = await s.take(5_000);
      assert.deepEqual(first, { next: { data: { viewer: { kind: 'PATIENT', subject: scene.vaultId } } } });
      assert.deepEqual(await s.done, { complete: true });
    } finally {
      await client.dispose();
    }
  });

  test('notificationAdded delivers a first-access event to the owner when a newly granted professional reads the vault', async () => {
    const { client } = wsClient(scene.owner.token);
    try {
      const subscribedBefore = (await accessHistory(api, scene.owner.token, scene.vaultId)).filter((e) => e.operation === 'notifications.read' && e.allowed).length;
      const s = subscribe(client, {
        query: 'subscription Feed($vaultId: ID!) { notificationAdded(vaultId: $vaultId) { kind createdAt payload { __typename ... on FirstAccessNotice { rpps profession basis at } } } }',
        variables: { vaultId: scene.vaultId },
      });
      // The subscription is live once its opening read of the notifications is in the audit chain (the vault grain
      // handles one call at a time, so the feed's starting point is fixed before the professional's read below).
      const deadline = Date.now() + 10_000;
      while ((await accessHistory(api, scene.owner.token, scene.vaultId)).filter((e) => e.operation === 'notifications.read' && e.allowed).length <= subscribedBefore) {
        assert.ok(Date.now() < deadline, 'the subscription did not start within 10 s');
        await new Promise((r) => setTimeout(r, 100));
      }

      const nurse = await api.professional('60');
      await grant(api, scene.owner.token, scene.vaultId, nurse.rpps);
      const read = await api.ok(nurse.token, 'query Q($id: ID!) { vault(id: $id) { basis } }', { id: scene.vaultId });
      assert.equal(read.vault.basis, 'GRANT');

      const started = Date.now();
      let event;
      while (!event) {
        const remaining = 15_000 - (Date.now() - started);
        assert.ok(remaining > 0, 'no first-access notification within 15 s');
        const message = await s.take(remaining);
        assert.ok(message.next, `the feed ended: ${JSON.stringify(message)}`);
        assert.equal(message.next.errors, undefined, JSON.stringify(message.next));
        const n = message.next.data.notificationAdded;
        if (n.kind === 'FIRST_ACCESS' && n.payload.rpps === nurse.rpps) event = n;
      }
      const { payload } = event;
      assert.equal(payload.__typename, 'FirstAccessNotice');
      assert.equal(payload.profession, '60');
      assert.equal(payload.basis, 'GRANT');
      assert.ok(!Number.isNaN(Date.parse(payload.at)), JSON.stringify(payload));
      assert.ok(Date.now() - started < 15_000);
      s.unsubscribe();
    } finally {
      await client.dispose();
    }
  });

  test('notificationAdded by anyone but the owner or a representative is refused (graphql-transport-ws error, FORBIDDEN)', async () => {
    for (const caller of [scene.otherPatient, scene.doctor, scene.operator]) {
      const { client } = wsClient(caller.token);
      try {
        const s = subscribe(client, { query: 'subscription Feed($v: ID!) { notificationAdded(vaultId: $v) { kind payload { __typename } } }', variables: { v: scene.vaultId } });
        const first = await s.take(5_000);
        // A refused subscribe is answered with an `error` message (graphql-ws hands its errors to sink.error).
        assert.ok(first.error, JSON.stringify(first));
        assert.equal(first.error[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(first.error));
        assert.deepEqual(first.error[0].path, ['notificationAdded']);
        assert.ok((await s.done).error);
      } finally {
        await client.dispose();
      }
    }
    // Anonymous: the vault says UNAUTHENTICATED.
    const { client } = wsClient(null);
    try {
      const s = subscribe(client, { query: 'subscription Feed($v: ID!) { notificationAdded(vaultId: $v) { kind } }', variables: { v: scene.vaultId } });
      const first = await s.take(5_000);
      assert.equal(first.error?.[0]?.extensions?.code, 'UNAUTHENTICATED', JSON.stringify(first));
    } finally {
      await client.dispose();
    }
  });

  test('a bad token in connection_init closes the socket with 4403', async () => {
    const { client, closes } = wsClient('not-a-valid-token');
    try {
      const s = subscribe(client, { query: '{ viewer { kind } }' });
      const ended = await Promise.race([s.done, new Promise((_, reject) => setTimeout(() => reject(new Error('not closed within 5 s')), 5_000))]);
      assert.ok(ended.error, JSON.stringify(ended));
      assert.equal(closes[0]?.code, 4403, JSON.stringify(closes));
    } finally {
      await client.dispose();
    }
  });

  test('subscribe before connection_init closes with 4401 (raw ws)', async () => {
    const { socket, closed } = await rawSocket();
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ viewer { kind } }' } }));
    const { code } = await closed;
    assert.equal(code, 4401);
  });

  test('a subscribe payload of the wrong shape closes with 4400 naming the member and its rule (raw ws)', async () => {
    for (const [payload, reason] of [
      [{ query: 'subscription { __typename }', variables: [1] }, "subscribe payload: 'variables' must be a JSON object (names to values) or null"],
      [{ query: 5 }, "subscribe payload: 'query' must be a string holding the GraphQL document"],
      [{ query: 'subscription { __typename }', operationName: 3 }, "subscribe payload: 'operationName' must be a string or null"],
      [{ variables: {} }, 'subscribe payload needs a query'],
      ['a string', 'subscribe payload needs a query'],
    ]) {
      const { socket, messages, closed } = await rawSocket();
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${scene.owner.token}` } }));
      const deadline = Date.now() + 5_000;
      while (messages.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload }));
      assert.deepEqual(await closed.then(({ code, reason: r }) => [code, r]), [4400, reason], JSON.stringify(payload));
    }
  });

  test('ping → pong; a second connection_init closes with 4429 (raw ws)', async () => {
    const { socket, messages, closed } = await rawSocket();
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${scene.owner.token}` } }));
    socket.send(JSON.stringify({ type: 'ping' }));
    const deadline = Date.now() + 5_000;
    while (messages.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(messages.map((m) => m.type), ['connection_ack', 'pong']);
    socket.send(JSON.stringify({ type: 'connection_init' }));
    assert.equal((await closed).code, 4429);
  });

  test('a socket without the graphql-transport-ws subprotocol is refused with 400', async () => {
    await assert.rejects(rawSocket(null), (e) => e.statusCode === 400);
  });

  test('no connection_init within 10 s closes with 4408 (raw ws)', async () => {
    // BUG (race): on the init timeout the server sends the 4408 close frame, then cancels the receive still pending
    // on the socket (GraphQLWebSocketEndpoint: CloseAsync cancels _closing while RunAsync's ReceiveAsync waits),
    // which aborts the connection; the reset often arrives before the client has read the close frame, so the client
    // sees 1006 (abnormal closure), which graphql-ws treats as retryable instead of the fatal 4408. Typically 1 in 4
    // sockets gets 4408.
    const closes = await Promise.all(idle.map(async (s) => ({ ...(await s.closed), openedAt: s.openedAt })));
    for (const { at, openedAt } of closes) {
      const waited = at - openedAt;
      assert.ok(waited >= 9_500 && waited < 13_000, `closed after ${waited} ms`);
    }
    assert.deepEqual(closes.map((c) => c.code), [4408, 4408, 4408, 4408], 'every idle socket must be closed with 4408');
  });
});

describe('the server\'s own log', () => {
  // Last in this file: the server has started, registered its event relay and answered every test above.
  test('holds no warning or error with a stack trace (none at start: the event relay waits for the silo), no key stored in clear', () => {
    const output = api.server.allOutput();
    assert.doesNotMatch(output, /^warn: Polly|^fail: /m);
    assert.doesNotMatch(output, /No XML encryptor configured/, 'the data-protection key ring is encrypted at rest');
    assert.doesNotMatch(output, /^\s+at [\w.`<>|]+\(/m, 'a stack frame in the server\'s output');
  });
});

describe('graphql package sanity', () => {
  test('the operations of the guide parse', async () => {
    const guide = await readFile(join(REPO, 'docs', 'graphql-guide.md'), 'utf8');
    const blocks = [...guide.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]);
    assert.ok(blocks.length >= 10, `expected the guide's GraphQL blocks, found ${blocks.length}`);
    const schema = buildSchema(await readFile(join(REPO, 'schema.graphql'), 'utf8'));
    for (const block of blocks) {
      const document = parse(block);
      const errors = validate(schema, document);
      assert.deepEqual(errors.map((e) => e.message), [], `guide block does not validate against schema.graphql:\n${print(document)}`);
    }
  });

  test('the guide spells denial reasons and notification kinds as the schema\'s enum values', async () => {
    const guide = await readFile(join(REPO, 'docs', 'graphql-guide.md'), 'utf8');
    const schema = buildSchema(await readFile(join(REPO, 'schema.graphql'), 'utf8'));
    const values = (name) => schema.getType(name).getValues().map((v) => v.name);
    // An enum value's other spellings: the C# name (MaskedFromProfessionals) and the kebab-case one (masked-from-professionals).
    const pascal = (v) => v.toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c) => c.toUpperCase());
    const kebab = (v) => v.toLowerCase().replaceAll('_', '-');
    const quoted = new Set([...guide.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]));
    const stale = [
      ...values('DenialReason').filter((v) => v !== 'NONE').map(pascal),
      ...values('NotificationKind').map(kebab),
    ].filter((spelling) => quoted.has(spelling) || quoted.has(`extensions.reason: ${spelling}`));
    assert.deepEqual(stale, [], 'the guide quotes a reason or a notification kind in a spelling the server does not use');
    const reasons = [...guide.matchAll(/extensions\.reason: ([A-Za-z_]+)/g)].map((m) => m[1]);
    assert.ok(reasons.length > 0);
    for (const reason of reasons) assert.ok(values('DenialReason').includes(reason), `extensions.reason: ${reason} is not a DenialReason value`);
  });
});
