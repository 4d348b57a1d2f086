// The consent screen of a connected app in a real headless Chromium (Debian's /usr/bin/chromium through puppeteer-core):
// sign in → the consent screen lists the app's name and exactly the scopes it asks, in words → Allow lands on the app's
// redirect URI with a code its stock OIDC client redeems; Deny lands there with error=access_denied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './browser-kit.mjs';
import * as oidc from 'openid-client';
import { useServer } from './harness.mjs';
import { OIDC_ARGS, personWithPassphrase } from './oidc-kit.mjs';
import { APP_REDIRECT, registerApp, appClient, authorizationUrl } from './connected-apps-kit.mjs';

const api = useServer(OIDC_ARGS);
const browser = useBrowser();

/** The navigation to the app's redirect URI (nothing listens there: the request itself is what the test reads). */
const catchRedirect = (page) => page.waitForRequest((request) => request.url().startsWith(APP_REDIRECT), { timeout: 30_000 }).then((r) => new URL(r.url()));

/** Opens the authorize URL, signs in, and stops on the consent screen. */
async function toConsent(person, scope) {
  const admin = await api.token('operator', 'op-apps-browser', { operatorRoles: 'directory-admin' });
  const app = await registerApp(api, admin, ['documents.read:11', 'documents.read:10', 'agenda.read'], { name: 'Carnet Santé Démo' });
  const config = await appClient(api, app.appId);
  const request = await authorizationUrl(config, scope);
  const page = await browser.newPage();
  const landed = catchRedirect(page);
  await page.goto(request.url.href, { waitUntil: 'domcontentloaded' });
  assert.match(page.url(), /\/connect\/login\?/);
  await page.type('#nir', person.nir);
  await page.$eval('#birthDate', (e, v) => { e.value = v; }, person.birthDate);
  await page.type('#passphrase', person.passphrase);
  await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click('button[type="submit"]')]);
  assert.match(page.url(), /\/connect\/consent\?/);
  return { app, config, request, page, landed };
}

test('browser: the consent screen shows the app and exactly its scopes in words; Allow gives a code the app redeems', async () => {
  const person = await personWithPassphrase(api);
  const { app, config, request, page, landed } = await toConsent(person, 'openid offline_access documents.read:11 agenda.read');
  assert.equal(await page.$eval('html', (e) => e.lang), 'fr');
  assert.equal(await page.$eval('#app-name', (e) => e.textContent), 'Carnet Santé Démo');
  assert.equal(await page.$eval('#app-certification', (e) => e.textContent), app.certificationReference);
  const scopes = await page.$$eval('li.scope', (items) => items.map((e) => e.textContent));
  assert.deepEqual(scopes, [
    'Lire vos documents « Synthèse » / Read your “Synthèse” documents',
    'Lire votre agenda (rendez-vous, dates de prévention) / Read your agenda (appointments, prevention dates)',
  ]);
  assert.equal((await page.$$('script')).length, 0, 'no script on the page');
  await page.click('button[value="allow"]');
  const callback = await landed;
  assert.ok(callback.searchParams.get('code'));
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedState: request.state });
  assert.equal(tokens.claims().sub, person.vaultId);
  assert.equal((await api.ok(tokens.access_token, '{ viewer { kind } }')).viewer.kind, 'APP');
  await page.close();
});

test('browser: Deny lands on the app with error=access_denied', async () => {
  const person = await personWithPassphrase(api);
  const { page, landed } = await toConsent(person, 'openid documents.read:10');
  assert.equal((await page.$$('li.scope')).length, 1);
  await page.click('button[value="deny"]');
  const callback = await landed;
  assert.equal(callback.searchParams.get('error'), 'access_denied');
  assert.equal(callback.searchParams.get('code'), null);
  await page.close();
});
