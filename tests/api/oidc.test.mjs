// Coffre as an OpenID provider, driven by a stock OIDC client (openid-client): discovery, authorization code + PKCE
// through the sign-in page, GraphQL with the access token, refresh rotation, reuse detection, end-session,
// sessions listed and ended from GraphQL; establishment systems with client credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { useServer, newFiness, openVaultAsReferent, grant, deposit } from './harness.mjs';
import { OIDC_ARGS, REDIRECT_URI, POST_LOGOUT_URI, personWithPassphrase, signInOverHttp, agent } from './oidc-kit.mjs';

const api = useServer(OIDC_ARGS);
const insecure = { execute: [oidc.allowInsecureRequests] };
const VIEWER = `{ viewer { kind subject establishmentFiness sessions { id client createdAt lastUsedAt } } }`;
const END_SESSION = `mutation($input: EndSessionInput!) { endSession(input: $input) { endedSessionId userErrors { code field } } }`;
const REGISTER = `mutation($input: RegisterEstablishmentClientInput!) {
  registerEstablishmentClient(input: $input) { client { clientId clientSecret finess tokenEndpoint } userErrors { code field message } } }`;
const BIOLOGY = { title: 'CR biologie', classCode: '10', typeCode: '11502-2' };

async function patientApp() {
  return oidc.discovery(new URL(api.baseUrl), 'coffre-patient-app', undefined, oidc.None(), insecure);
}

/** The whole code + PKCE dance; returns the token endpoint response. */
async function signIn(config, person) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI, scope: 'openid offline_access', state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const landed = await signInOverHttp(api.baseUrl, url.href, person);
  assert.ok(landed.location?.startsWith(REDIRECT_URI), `did not land on the redirect URI: ${JSON.stringify(landed).slice(0, 400)}`);
  return oidc.authorizationCodeGrant(config, new URL(landed.location), { pkceCodeVerifier: verifier, expectedState: state });
}

const refusedGrant = async (promise) => {
  await assert.rejects(promise, (e) => e.error === 'invalid_grant' || /invalid_grant/.test(String(e.code ?? e.message)));
};

test('oidc: discovery announces code + PKCE (S256 only), refresh, client credentials and end-session', async () => {
  const config = await patientApp();
  const meta = config.serverMetadata();
  assert.equal(meta.issuer, new URL(api.baseUrl).href);
  assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
  for (const g of ['authorization_code', 'refresh_token', 'client_credentials']) assert.ok(meta.grant_types_supported.includes(g), g);
  assert.ok(meta.end_session_endpoint);
});

test('oidc: code + PKCE through the sign-in page, GraphQL with the access token, refresh rotation, reuse revokes the family', async () => {
  const person = await personWithPassphrase(api);
  const config = await patientApp();
  const first = await signIn(config, person);
  assert.ok(first.access_token && first.refresh_token && first.id_token);
  assert.equal(first.claims().sub, person.vaultId);
  assert.ok(first.expires_in <= 600, `access token lives ${first.expires_in} s`);

  const viewer = (await api.ok(first.access_token, VIEWER)).viewer;
  assert.equal(viewer.kind, 'PATIENT');
  assert.equal(viewer.subject, person.vaultId);
  assert.equal(viewer.sessions.length, 1);
  assert.equal(viewer.sessions[0].client, 'coffre-patient-app');
  // The development token of the same person still works beside the provider's.
  assert.equal((await api.ok(person.devToken, VIEWER)).viewer.subject, person.vaultId);

  const second = await oidc.refreshTokenGrant(config, first.refresh_token);
  assert.notEqual(second.refresh_token, first.refresh_token, 'refresh tokens rotate');
  assert.equal((await api.ok(second.access_token, VIEWER)).viewer.subject, person.vaultId);

  // The old refresh token again: refused, and the whole family is revoked (the rotated one too, and its access token).
  await refusedGrant(oidc.refreshTokenGrant(config, first.refresh_token));
  await refusedGrant(oidc.refreshTokenGrant(config, second.refresh_token));
  assert.equal((await api.gql(second.access_token, VIEWER)).status, 401);
  assert.equal((await api.ok(person.devToken, VIEWER)).viewer.sessions.length, 0);
});

test('oidc: end-session with id_token_hint ends the session; refresh refused', async () => {
  const person = await personWithPassphrase(api);
  const config = await patientApp();
  const tokens = await signIn(config, person);
  const url = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token, post_logout_redirect_uri: POST_LOGOUT_URI });
  const r = await agent(api.baseUrl).go(url.href);
  assert.equal(r.status, 302);
  assert.ok(r.headers.get('location').startsWith(POST_LOGOUT_URI), r.headers.get('location'));
  await refusedGrant(oidc.refreshTokenGrant(config, tokens.refresh_token));
  assert.equal((await api.gql(tokens.access_token, VIEWER)).status, 401);
});

test('oidc: a person lists their sessions and ends one from GraphQL; its tokens stop at once, the other session lives', async () => {
  const person = await personWithPassphrase(api);
  const config = await patientApp();
  const phone = await signIn(config, person);
  const tablet = await signIn(config, person);
  const sessions = (await api.ok(phone.access_token, VIEWER)).viewer.sessions;
  assert.equal(sessions.length, 2);
  for (const s of sessions) {
    assert.ok(Date.parse(s.createdAt) > 0);
    assert.ok(Date.parse(s.lastUsedAt) >= Date.parse(s.createdAt) - 1000);
  }
  const phoneSession = sessions.find((s) => s.id === phone.claims().oi_au_id) ?? sessions[1];

  // Another person cannot end it.
  const other = await personWithPassphrase(api);
  const foreign = await api.ok(other.devToken, END_SESSION, { input: { sessionId: phoneSession.id } });
  assert.deepEqual(foreign.endSession.userErrors.map((e) => e.code), ['NOT_FOUND']);

  const ended = await api.ok(tablet.access_token, END_SESSION, { input: { sessionId: phoneSession.id } });
  assert.equal(ended.endSession.endedSessionId, phoneSession.id);
  const left = (await api.ok(person.devToken, VIEWER)).viewer.sessions;
  assert.equal(left.length, 1);
  assert.notEqual(left[0].id, phoneSession.id);
  const [phoneAfter, tabletAfter] = await Promise.allSettled([
    oidc.refreshTokenGrant(config, phone.refresh_token), oidc.refreshTokenGrant(config, tablet.refresh_token)]);
  const endedOne = phoneSession.id === phone.claims().oi_au_id ? phoneAfter : tabletAfter;
  assert.equal(endedOne.status, 'rejected');
});

test('oidc: a wrong passphrase or an unknown NIR gets the one uniform refusal, no code', async () => {
  const person = await personWithPassphrase(api);
  const config = await patientApp();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
  });
  const wrong = await signInOverHttp(api.baseUrl, url.href, { ...person, passphrase: 'pas la bonne phrase du tout' });
  const unknown = await signInOverHttp(api.baseUrl, url.href, { ...person, nir: (await personWithPassphrase(api)).nir.replace(/^./, (c) => (c === '1' ? '2' : '1')) });
  assert.equal(wrong.status, 400);
  assert.equal(unknown.status, 400);
  const message = (html) => html.match(/role="alert"[^>]*>([^<]*)</)[1];
  assert.equal(message(wrong.html), message(unknown.html));
  assert.equal(wrong.location, undefined);
});

test('oidc: an establishment system (client credentials) acts for its FINESS only; wrong secret refused', async () => {
  const operator = await api.token('operator', 'op-oidc');
  const F = newFiness();
  const G = newFiness();
  const registered = (await api.ok(operator, REGISTER, { input: { finess: F, displayName: 'Hôpital test' } })).registerEstablishmentClient;
  assert.deepEqual(registered.userErrors, []);
  const { clientId, clientSecret } = registered.client;
  assert.equal(registered.client.finess, F);
  // Only operators register clients.
  const patientTry = await api.gql((await personWithPassphrase(api)).devToken, REGISTER, { input: { finess: G } });
  assert.ok(patientTry.body.errors?.length > 0 || patientTry.body.data?.registerEstablishmentClient === null, JSON.stringify(patientTry.body));

  const config = await oidc.discovery(new URL(api.baseUrl), clientId, clientSecret, undefined, insecure);
  const tokens = await oidc.clientCredentialsGrant(config);
  const viewer = (await api.ok(tokens.access_token, VIEWER)).viewer;
  assert.equal(viewer.kind, 'ESTABLISHMENT');
  assert.equal(viewer.establishmentFiness, F);
  assert.equal(viewer.subject, clientId, 'viewer.subject is the token\'s sub: the client id');

  const socialWorker = await api.professional('SOC-AS', { finess: newFiness() });
  const granted = await openVaultAsReferent(api, socialWorker.token, { familyName: 'Granted' });
  const other = await openVaultAsReferent(api, socialWorker.token, { familyName: 'Other' });
  await grant(api, await api.token('patient', granted), granted, undefined, { rpps: undefined, finess: F });
  await grant(api, await api.token('patient', other), other, undefined, { rpps: undefined, finess: G });

  const doc = await deposit(api, tokens.access_token, granted, BIOLOGY);
  assert.ok(doc.documentId);
  const list = await api.ok(tokens.access_token, `query($id: ID!) { vault(id: $id) { documents { nodes { id title } } } }`, { id: granted });
  assert.equal(list.vault.documents.nodes.length, 1);
  const refused = await api.upload(tokens.access_token, other, BIOLOGY, 'not for you');
  assert.equal(refused.status, 403, JSON.stringify(refused.body));

  const wrong = await oidc.discovery(new URL(api.baseUrl), clientId, clientSecret + 'x', undefined, insecure);
  await assert.rejects(oidc.clientCredentialsGrant(wrong), (e) => e.error === 'invalid_client' || e.status === 401 || /invalid_client/.test(JSON.stringify(e.cause ?? '')));
});
