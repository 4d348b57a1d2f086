// The provider's own pages in a real headless Chromium (Debian's /usr/bin/chromium through puppeteer-core): open the
// authorize URL, fill the sign-in form, land on the redirect URI with a code; the activation page refuses a wrong code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './browser-kit.mjs';
import * as oidc from 'openid-client';
import { useServer, newNir } from './harness.mjs';
import { OIDC_ARGS, REDIRECT_URI, personWithPassphrase } from './oidc-kit.mjs';

const api = useServer(OIDC_ARGS);
const browser = useBrowser();

async function authorizationUrl() {
  const config = await oidc.discovery(new URL(api.baseUrl), 'coffre-patient-app', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI, scope: 'openid offline_access', state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  return { config, verifier, state, url };
}

/** The navigation to the redirect URI (nothing listens there: the request itself is what the test reads). */
const catchRedirect = (page) => page.waitForRequest((request) => request.url().startsWith(REDIRECT_URI), { timeout: 30_000 }).then((r) => r.url());

test('browser: the sign-in page, filled in Chromium, lands on the redirect URI with a code the client redeems', async () => {
  const person = await personWithPassphrase(api);
  const { config, verifier, state, url } = await authorizationUrl();
  const page = await browser.newPage();
  const landed = catchRedirect(page);
  await page.goto(url.href, { waitUntil: 'domcontentloaded' });
  assert.match(page.url(), /\/connect\/login\?/);
  assert.equal(await page.$eval('html', (e) => e.lang), 'fr');
  // Every field has its label.
  for (const id of ['nir', 'birthDate', 'passphrase']) {
    assert.ok(await page.$(`label[for="${id}"]`), `label for ${id}`);
  }
  await page.type('#nir', person.nir);
  await page.$eval('#birthDate', (e, v) => { e.value = v; }, person.birthDate);
  await page.type('#passphrase', person.passphrase);
  await page.click('button[type="submit"]');
  const callback = new URL(await landed);
  assert.ok(callback.searchParams.get('code'));
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
  assert.equal(tokens.claims().sub, person.vaultId);
  await page.close();
});

test('browser: the activation page refuses a wrong code with the uniform message, announced to assistive technology', async () => {
  const { url } = await authorizationUrl();
  const page = await browser.newPage();
  await page.goto(url.href, { waitUntil: 'domcontentloaded' });
  await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click('a[href^="/connect/activate"]')]);
  assert.match(page.url(), /\/connect\/activate\?/);
  await page.type('#code', 'ABCDE-FGHJK-1');
  await page.type('#nir', newNir());
  await page.$eval('#birthDate', (e) => { e.value = '1970-01-01'; });
  await page.type('#vitaleSerial', '123456789012');
  await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click('button[type="submit"]')]);
  const alert = await page.$eval('[role="alert"]', (e) => e.textContent);
  assert.match(alert, /ne correspond pas|does not match/);
  await page.close();
});

test('browser: a form posted without its antiforgery token is refused', async () => {
  const r = await fetch(`${api.baseUrl}/connect/login`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ nir: newNir(), birthDate: '1984-05-17', passphrase: 'x'.repeat(20) }).toString(), redirect: 'manual',
  });
  assert.equal(r.status, 400);
  assert.match(await r.text(), /expiré|expired/);
});
