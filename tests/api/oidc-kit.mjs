// Helpers for the OpenID provider tests: a person with a passphrase, and the sign-in page driven over plain HTTP.
import assert from 'node:assert/strict';
import { newFiness, newNir, openVaultAsReferent } from './harness.mjs';

export const REDIRECT_URI = 'http://127.0.0.1:1/callback';
export const POST_LOGOUT_URI = 'http://127.0.0.1:1/bye';
export const OIDC_ARGS = [
  `--Coffre:Oidc:PatientRedirectUris:0=${REDIRECT_URI}`,
  `--Coffre:Oidc:PatientPostLogoutRedirectUris:0=${POST_LOGOUT_URI}`,
];
export const BIRTH_DATE = '1984-05-17';

export const SET_PASSPHRASE = `mutation($input: SetPassphraseInput!) { setPassphrase(input: $input) { passphraseSet userErrors { code } } }`;

/** A person whose vault a social worker opened, with a passphrase set: { vaultId, nir, birthDate, passphrase, devToken }. */
export async function personWithPassphrase(api) {
  const socialWorker = await api.professional('SOC-AS', { finess: newFiness() });
  const nir = newNir();
  const vaultId = await openVaultAsReferent(api, socialWorker.token, { nir });
  const devToken = await api.token('patient', vaultId);
  const passphrase = 'trois petits chats blancs';
  const data = await api.ok(devToken, SET_PASSPHRASE, { input: { vaultId, passphrase } });
  assert.deepEqual(data.setPassphrase.userErrors, []);
  return { vaultId, nir, birthDate: BIRTH_DATE, passphrase, devToken };
}

const decode = (s) => s.replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
  .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d))).replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** A cookie-keeping, redirect-refusing fetch, as a browser without script. */
export function agent(baseUrl) {
  const jar = new Map();
  const keep = (r) => {
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) jar.delete(name); else jar.set(name, value);
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  async function go(url, { method = 'GET', form } = {}) {
    const r = await fetch(new URL(url, baseUrl), {
      method, redirect: 'manual',
      headers: { cookie: cookie(), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    keep(r);
    return r;
  }
  return { go, jar };
}

/** The hidden fields of the page's form. */
export function hiddenFields(html) {
  const fields = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]] = decode(m[2]);
  return fields;
}

/**
 * Follows an authorization URL through the sign-in page: GET authorize → 302 login page → POST the form →
 * 302 authorize → 302 redirect URI. Returns { location, status, html } (location set when it reached the redirect URI).
 */
export async function signInOverHttp(baseUrl, authorizationUrl, { nir, birthDate, passphrase }) {
  const a = agent(baseUrl);
  let r = await a.go(authorizationUrl);
  assert.equal(r.status, 302);
  const loginUrl = r.headers.get('location');
  assert.match(loginUrl, /^\/connect\/login\?returnUrl=/);
  r = await a.go(loginUrl);
  assert.equal(r.status, 200);
  const page = await r.text();
  assert.match(page, /<label for="nir">/);
  r = await a.go('/connect/login', { method: 'POST', form: { ...hiddenFields(page), nir, birthDate, passphrase } });
  if (r.status !== 302) return { status: r.status, html: await r.text() };
  let location = r.headers.get('location');
  for (let hops = 0; hops < 5 && location.startsWith('/'); hops++) {
    r = await a.go(location);
    if (r.status !== 302) return { status: r.status, html: await r.text() };
    location = r.headers.get('location');
  }
  return { status: r.status, location };
}
