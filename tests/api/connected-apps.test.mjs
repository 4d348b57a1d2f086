// Connected apps: a test app registered in the catalogue connects with a stock OIDC client (openid-client: discovery,
// authorization code + PKCE, the sign-in page, the consent screen's form, the code exchange), then reads through GraphQL
// ONLY what the person consented to; refused after disconnectApp (its token and refresh token), reconnected, refused
// after suspendConnectedApp (its token, and a new authorization).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { useServer, deposit, accessHistory } from './harness.mjs';
import { OIDC_ARGS, personWithPassphrase, agent, hiddenFields } from './oidc-kit.mjs';
import { APP_REDIRECT, REGISTER_APP, decodeHtml, registerApp, appClient, authorizationUrl, consentOverHttp, connectApp, listedScopes } from './connected-apps-kit.mjs';

const api = useServer(OIDC_ARGS);
const DOC = `query($id: ID!, $doc: String!) { vault(id: $id) { document(documentId: $doc) { documentId title } } }`;
const HISTORY = `query($id: ID!) { vault(id: $id) { accessHistory(first: 5) { edges { node { operation } } } } }`;
const CONNECTED = `query($id: ID!) { vault(id: $id) { connectedApps { appId name status scopes { scope } connectedAt disconnectedAt } capabilities } }`;
const DISCONNECT = `mutation($input: DisconnectAppInput!) { disconnectApp(input: $input) { connection { appId status } userErrors { code field message } } }`;
const SUSPEND = `mutation($input: SuspendConnectedAppInput!) { suspendConnectedApp(input: $input) { app { status suspendedAt } userErrors { code field } } }`;
const CATALOGUE = `query($after: String) { connectedAppCatalogue(first: 50, after: $after) {
  edges { node { appId name publisher certificationReference status scopes { scope description } redirectUris } } pageInfo { hasNextPage endCursor } } }`;

const refusedWith = async (token, query, variables, reason) => {
  const { status, body } = await api.gql(token, query, variables);
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(body));
  assert.equal(body.errors[0].extensions.reason, reason, JSON.stringify(body));
};
const refusedGrant = (promise) => assert.rejects(promise, (e) => e.error === 'invalid_grant' || /invalid_grant/.test(String(e.code ?? e.message)));

async function sceneWithApp(scopes = ['documents.read:11', 'documents.read:10', 'agenda.read']) {
  const admin = await api.token('operator', 'op-apps', { operatorRoles: 'directory-admin' });
  const person = await personWithPassphrase(api);
  const synthesis = await deposit(api, person.devToken, person.vaultId, { title: 'Synthèse', classCode: '11', typeCode: '34133-9' });
  const biology = await deposit(api, person.devToken, person.vaultId, { title: 'CR biologie', classCode: '10', typeCode: '11502-2' });
  const masked = await deposit(api, person.devToken, person.vaultId, { title: 'Synthèse masquée', classCode: '11', typeCode: '34133-9', maskedFromProfessionals: true });
  const app = await registerApp(api, admin, scopes);
  return { admin, person, app, docs: { synthesis, biology, masked }, config: await appClient(api, app.appId) };
}

test('apps: code + PKCE with the consent screen; the app reads only its consented scopes; disconnect revokes; reconnect; suspension refuses everything', async () => {
  const { admin, person, app, docs, config } = await sceneWithApp();
  const id = person.vaultId;

  // The person consents to one of the three scopes the app declared.
  const { tokens, consentHtml } = await connectApp(api, config, person, 'openid offline_access documents.read:11');
  assert.match(decodeHtml(consentHtml), new RegExp(app.name));
  assert.equal(listedScopes(consentHtml).length, 1);
  assert.match(listedScopes(consentHtml)[0], /Lire vos documents « Synthèse »/);
  assert.ok(tokens.access_token && tokens.refresh_token);
  assert.equal(tokens.claims().sub, id);

  const viewer = (await api.ok(tokens.access_token, '{ viewer { kind subject } }')).viewer;
  assert.equal(viewer.kind, 'APP', 'an app token never becomes a patient');
  // A document of the consented class: yes. Another class the app declared but the person did not allow: no.
  assert.equal((await api.ok(tokens.access_token, DOC, { id, doc: docs.synthesis.documentId })).vault.document.title, 'Synthèse');
  await refusedWith(tokens.access_token, DOC, { id, doc: docs.biology.documentId }, 'OUTSIDE_APP_CONSENT');
  await refusedWith(tokens.access_token, DOC, { id, doc: docs.masked.documentId }, 'MASKED_FROM_APPS');
  await refusedWith(tokens.access_token, HISTORY, { id }, 'NOT_PERMITTED');
  // Another person's vault: no.
  const other = await personWithPassphrase(api);
  await refusedWith(tokens.access_token, '{ vault(id: "' + other.vaultId + '") { vaultId } }', {}, 'NOT_PERMITTED');

  // The person sees the app as the actor in their history, and the connection with its scopes.
  const history = await accessHistory(api, person.devToken, id);
  assert.ok(history.some((e) => e.actorKind === 'APP' && e.actorId === `app:${app.appId}` && e.allowed && e.basis === 'CONNECTED_APP'), 'history names the app');
  const listed = (await api.ok(person.devToken, CONNECTED, { id })).vault.connectedApps;
  assert.deepEqual(listed.map((c) => [c.appId, c.name, c.status, c.scopes.map((s) => s.scope)]), [[app.appId, app.name, 'CONNECTED', ['documents.read:11']]]);
  assert.deepEqual((await api.ok(tokens.access_token, `{ vault(id: "${id}") { capabilities } }`)).vault.capabilities, ['READ_VAULT', 'LIST_DOCUMENTS']);

  // Disconnect: the same access token and its refresh token are refused at once.
  const disconnected = (await api.ok(person.devToken, DISCONNECT, { input: { vaultId: id, appId: app.appId } })).disconnectApp;
  assert.deepEqual(disconnected.userErrors, []);
  assert.equal(disconnected.connection.status, 'DISCONNECTED');
  assert.equal((await api.gql(tokens.access_token, DOC, { id, doc: docs.synthesis.documentId })).status, 401);
  await refusedGrant(oidc.refreshTokenGrant(config, tokens.refresh_token));

  // Reconnect: a new consent, a new token, reading again.
  const again = (await connectApp(api, config, person, 'openid offline_access documents.read:11')).tokens;
  assert.equal((await api.ok(again.access_token, DOC, { id, doc: docs.synthesis.documentId })).vault.document.title, 'Synthèse');

  // Suspension: every token of the app refused at once, and a new authorization refused (access_denied) before any sign-in.
  const suspended = (await api.ok(admin, SUSPEND, { input: { appId: app.appId, reason: 'Certification withdrawn' } })).suspendConnectedApp;
  assert.equal(suspended.app.status, 'SUSPENDED');
  assert.equal((await api.gql(again.access_token, DOC, { id, doc: docs.synthesis.documentId })).status, 401);
  await refusedGrant(oidc.refreshTokenGrant(config, again.refresh_token));
  const { url } = await authorizationUrl(config, 'openid documents.read:11');
  const r = await agent(api.baseUrl).go(url.href);
  assert.equal(r.status, 302);
  const refused = new URL(r.headers.get('location'));
  assert.equal(refused.origin + refused.pathname, APP_REDIRECT);
  assert.equal(refused.searchParams.get('error'), 'access_denied');
  assert.equal((await api.ok(person.devToken, CONNECTED, { id })).vault.connectedApps[0].status, 'SUSPENDED');
});

test('apps: Deny on the consent screen answers error=access_denied and records no connection', async () => {
  const { person, config } = await sceneWithApp();
  const { url } = await authorizationUrl(config, 'openid documents.read:10');
  const { consentHtml, location } = await consentOverHttp(api, url, person, 'deny');
  assert.equal(listedScopes(consentHtml).length, 1);
  assert.ok(location.startsWith(APP_REDIRECT), location);
  assert.equal(new URL(location).searchParams.get('error'), 'access_denied');
  assert.deepEqual((await api.ok(person.devToken, CONNECTED, { id: person.vaultId })).vault.connectedApps, []);
});

test('apps: an undeclared scope or an unknown app is refused at the authorize endpoint', async () => {
  const { config } = await sceneWithApp(['documents.read:11']);
  const { url } = await authorizationUrl(config, 'openid documents.read:10');
  // OpenIddict checks the client's scope permissions first (400 invalid_scope); the catalogue check answers the same way.
  const r = await agent(api.baseUrl).go(url.href);
  if (r.status === 302) assert.ok(['invalid_scope', 'access_denied'].includes(new URL(r.headers.get('location')).searchParams.get('error')));
  else assert.equal(r.status, 400);
  assert.doesNotMatch(r.headers.get('location') ?? '', /\/connect\/login/, 'refused before any sign-in');
  const unknown = await agent(api.baseUrl).go(`/connect/authorize?client_id=app-zzzzzzzzzz&response_type=code&redirect_uri=${encodeURIComponent(APP_REDIRECT)}&scope=openid&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`);
  assert.ok(unknown.status >= 400, `unknown client answered ${unknown.status}`);
});

test('apps: the catalogue for people (active apps, scopes in words), operators only register, bad input names its field', async () => {
  const { admin, person, app } = await sceneWithApp(['documents.read:11', 'profile.read:allergies', 'agenda.write']);
  const entries = [];
  let after = null;
  do {
    const page = (await api.ok(person.devToken, CATALOGUE, { after })).connectedAppCatalogue;
    entries.push(...page.edges.map((e) => e.node));
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  const mine = entries.find((e) => e.appId === app.appId);
  assert.equal(mine.status, 'ACTIVE');
  assert.equal(mine.redirectUris, null, 'redirect URIs for operators only');
  assert.deepEqual(mine.scopes.map((s) => s.scope), ['documents.read:11', 'profile.read:allergies', 'agenda.write']);
  assert.match(mine.scopes[1].description, /allergies/);

  const notAdmin = await api.gql(person.devToken, REGISTER_APP, { input: { name: 'x', publisher: 'y', certificationReference: 'z', scopes: ['agenda.read'], redirectUris: [APP_REDIRECT] } });
  assert.equal(notAdmin.body.errors[0].extensions.code, 'FORBIDDEN');
  for (const [input, field] of [
    [{ scopes: ['history.read'] }, 'scopes'],
    [{ scopes: ['documents.read:99'] }, 'scopes'],
    [{ redirectUris: ['http://app.example.fr/cb'] }, 'redirectUris'],
    [{ name: '' }, 'name'],
  ]) {
    const data = await api.ok(admin, REGISTER_APP, { input: { name: 'Appli', publisher: 'Éditeur', certificationReference: `C-${Math.random()}`, scopes: ['agenda.read'], redirectUris: [APP_REDIRECT], ...input } });
    assert.equal(data.registerConnectedApp.userErrors[0]?.field, field, JSON.stringify(data));
    assert.equal(data.registerConnectedApp.userErrors[0].code, 'VALIDATION');
  }
});

test('apps: profile.read:allergies reads the allergies section only, never another section', async () => {
  const { person, config } = await sceneWithApp(['profile.read:allergies', 'profile.read:treatments']);
  const id = person.vaultId;
  const ADD = `mutation($input: AddProfileEntryInput!) { addProfileEntry(input: $input) { entry { entryId } userErrors { code field message } } }`;
  const allergy = (await api.ok(person.devToken, ADD, { input: { vaultId: id, section: 'ALLERGIES', source: 'carnet',
    allergy: { substance: { system: 'http://snomed.info/sct', code: '764146007', display: 'Pénicilline' }, category: 'MEDICATION', criticality: 'HIGH', status: 'ACTIVE' } } })).addProfileEntry;
  assert.deepEqual(allergy.userErrors, []);
  const treatment = (await api.ok(person.devToken, ADD, { input: { vaultId: id, section: 'TREATMENTS', source: 'ordonnance',
    treatment: { medication: { system: 'http://www.whocc.no/atc', code: 'N02BE01', display: 'Paracétamol' }, status: 'ACTIVE' } } })).addProfileEntry;
  assert.deepEqual(treatment.userErrors, []);
  const { tokens } = await connectApp(api, config, person, 'openid profile.read:allergies');
  const read = await api.ok(tokens.access_token, `query($id: ID!) { vault(id: $id) { profile(first: 20) { edges { node { entryId section } } } } }`, { id });
  assert.deepEqual(read.vault.profile.edges.map((e) => e.node.section), ['ALLERGIES']);
  // What the person hides, the app no longer sees.
  const HIDE = `mutation($input: HideProfileEntryInput!) { hideProfileEntry(input: $input) { entry { entryId hidden } userErrors { code } } }`;
  assert.deepEqual((await api.ok(person.devToken, HIDE, { input: { vaultId: id, entryId: allergy.entry.entryId, hidden: true } })).hideProfileEntry.userErrors, []);
  const after = await api.ok(tokens.access_token, `query($id: ID!) { vault(id: $id) { profile(first: 20) { edges { node { entryId } } } } }`, { id });
  assert.deepEqual(after.vault.profile.edges, []);
});

test('apps: an Allow answers one authorize request only; another request (other state, PKCE) is asked again and the answer dropped', async () => {
  const { person, config } = await sceneWithApp();
  const first = await authorizationUrl(config, 'openid documents.read:11');
  const other = await authorizationUrl(config, 'openid documents.read:11');
  const a = agent(api.baseUrl);
  let r = await a.go(first.url.href);
  const login = r.headers.get('location');
  const loginPage = await (await a.go(login)).text();
  r = await a.go('/connect/login', { method: 'POST', form: { ...hiddenFields(loginPage), nir: person.nir, birthDate: person.birthDate, passphrase: person.passphrase } });
  assert.equal(r.status, 302, 'sign-in refused');
  r = await a.go(r.headers.get('location'));
  assert.equal(r.status, 302);
  const consentPage = r.headers.get('location');
  assert.match(consentPage, /^\/connect\/consent\?returnUrl=/);
  const consentHtml = await (await a.go(consentPage)).text();
  r = await a.go('/connect/consent', { method: 'POST', form: { ...hiddenFields(consentHtml), decision: 'allow' } });
  assert.equal(r.status, 302);
  // The Allow was for the first request: the other one (same app and scopes) is not approved by it.
  r = await a.go(other.url.href);
  assert.equal(r.status, 302);
  assert.match(r.headers.get('location'), /^\/connect\/consent\?returnUrl=/, 'another request was approved by an answer to the first');
  // And the answer is gone: the first request asks again too.
  r = await a.go(first.url.href);
  assert.equal(r.status, 302);
  assert.match(r.headers.get('location'), /^\/connect\/consent\?returnUrl=/, 'a mismatched answer was kept');
  assert.deepEqual((await api.ok(person.devToken, CONNECTED, { id: person.vaultId })).vault.connectedApps, []);
});
