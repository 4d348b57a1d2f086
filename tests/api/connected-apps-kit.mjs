// Helpers for the connected-apps tests: an app in the catalogue, its stock OIDC client, and the consent dance over HTTP.
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { agent, hiddenFields } from './oidc-kit.mjs';

export const APP_REDIRECT = 'http://127.0.0.1:1/app-callback';
export const insecure = { execute: [oidc.allowInsecureRequests] };

export const REGISTER_APP = `mutation($input: RegisterConnectedAppInput!) {
  registerConnectedApp(input: $input) { app { appId name publisher certificationReference status scopes { scope description } redirectUris }
    userErrors { code field message } } }`;

/** Registers an app as a directory-admin operator; returns its catalogue entry. */
export async function registerApp(api, adminToken, scopes, { name = 'Mon suivi santé', redirectUris = [APP_REDIRECT] } = {}) {
  const data = await api.ok(adminToken, REGISTER_APP, {
    input: { name, publisher: 'Éditeur Exemple SAS', certificationReference: `CERT-${Math.random().toString(36).slice(2, 12)}`, scopes, redirectUris },
  });
  assert.deepEqual(data.registerConnectedApp.userErrors, []);
  return data.registerConnectedApp.app;
}

/** The app's stock OIDC client (public: PKCE, no secret) configured by discovery. */
export const appClient = (api, appId) => oidc.discovery(new URL(api.baseUrl), appId, undefined, oidc.None(), insecure);

/** An authorization URL with PKCE; returns { url, verifier, state }. */
export async function authorizationUrl(config, scope) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: APP_REDIRECT, scope, state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  return { url, verifier, state };
}

/** Follows local redirects (at most 6) from `location`; returns the last response and where it pointed. */
async function follow(a, location) {
  let r;
  for (let hops = 0; hops < 6 && location.startsWith('/'); hops++) {
    r = await a.go(location);
    if (r.status !== 302) return { r, location };
    location = r.headers.get('location');
  }
  return { r, location };
}

/**
 * Authorize → sign-in page → consent screen → the person's answer → the app's redirect URI. Returns
 * { consentHtml, location } (location: where the browser lands at the end, with code or error).
 */
export async function consentOverHttp(api, url, person, decision = 'allow') {
  const a = agent(api.baseUrl);
  let r = await a.go(url.href);
  assert.equal(r.status, 302);
  const login = r.headers.get('location');
  assert.match(login, /^\/connect\/login\?returnUrl=/);
  const loginPage = await (await a.go(login)).text();
  r = await a.go('/connect/login', { method: 'POST', form: { ...hiddenFields(loginPage), nir: person.nir, birthDate: person.birthDate, passphrase: person.passphrase } });
  assert.equal(r.status, 302, 'sign-in refused');
  const reached = await follow(a, r.headers.get('location'));
  assert.equal(reached.r.status, 200, `no consent screen (${reached.location})`);
  assert.match(reached.location, /^\/connect\/consent\?returnUrl=/);
  const consentHtml = await reached.r.text();
  r = await a.go('/connect/consent', { method: 'POST', form: { ...hiddenFields(consentHtml), decision } });
  assert.equal(r.status, 302);
  const end = await follow(a, r.headers.get('location'));
  return { consentHtml, location: end.location };
}

/** The whole connection: consent allowed, code exchanged with the PKCE verifier; returns the token endpoint response. */
export async function connectApp(api, config, person, scope) {
  const { url, verifier, state } = await authorizationUrl(config, scope);
  const { consentHtml, location } = await consentOverHttp(api, url, person, 'allow');
  assert.ok(location.startsWith(APP_REDIRECT), `did not land on the app: ${location}`);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(location), { pkceCodeVerifier: verifier, expectedState: state });
  return { tokens, consentHtml };
}

/** The scopes listed on a consent screen, in words. */
export const listedScopes = (html) => [...html.matchAll(/<li class="scope">([^<]*)<\/li>/g)].map((m) => decodeHtml(m[1]));

/** HtmlEncoder's output back to text (numeric references and the few named ones it writes). */
export const decodeHtml = (s) => s.replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
  .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d))).replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
