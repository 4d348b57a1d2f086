// A share link in a real headless Chromium (Debian's /usr/bin/chromium through puppeteer-core): the page asks for the
// code with a plain form (no script, under its Content-Security-Policy), the right code lists the shared document, and
// its link downloads with the HttpOnly cookie the opening set; a wrong code shows the one refusal page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './browser-kit.mjs';
import { useServer, newFiness, openVaultAsReferent, deposit } from './harness.mjs';

let scene;
const api = useServer([], async (ctx) => {
  const socialWorker = await ctx.professional('SOC-AS', { finess: newFiness() });
  const vaultId = await openVaultAsReferent(ctx, socialWorker.token, { familyName: 'Navigateur' });
  const ownerToken = await ctx.token('patient', vaultId);
  const document = await deposit(ctx, ownerToken, vaultId, { title: 'Attestation de droits', classCode: '52', typeCode: 'ATTEST-DROITS-AM' }, '%PDF-1.4 droits', 'application/pdf');
  scene = { vaultId, ownerToken, document };
});
const browser = useBrowser();

async function share(maxOpenings = 1) {
  const data = await api.ok(scene.ownerToken, `mutation S($input: CreateShareLinkInput!) { createShareLink(input: $input) { url code userErrors { field message } } }`,
    { input: { vaultId: scene.vaultId, documentIds: [scene.document.documentId], maxOpenings } });
  assert.deepEqual(data.createShareLink.userErrors, []);
  return data.createShareLink;
}

async function submitCode(url, code) {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  assert.equal((await page.goto(url, { waitUntil: 'load' })).status(), 200);
  await page.type('#code', code);
  const [answer] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')]);
  return { page, answer, problems };
}

test('the recipient types the code in the page, sees the document and downloads it', async () => {
  const { url, code } = await share();
  const { page, answer, problems } = await submitCode(url, code.toLowerCase());
  assert.equal(answer.status(), 200);
  const links = await page.$$eval('li a', (as) => as.map((a) => ({ text: a.textContent, href: a.getAttribute('href') })));
  assert.deepEqual(links.map((l) => l.text), ['Attestation de droits']);
  assert.ok((await page.content()).includes(scene.document.sha256));
  const [download] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(links[0].href)),
    page.click('li a').catch(() => {}), // an attachment ends the navigation: the response is what counts
  ]);
  assert.equal(download.status(), 200);
  assert.equal(download.headers()['etag'], `"${scene.document.sha256}"`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a wrong code shows the one refusal page', async () => {
  const { url, code } = await share();
  const wrong = code.startsWith('0') ? '1111-1111-1' : '0000-0000-0';
  const { page, answer } = await submitCode(url, wrong);
  assert.equal(answer.status(), 404);
  assert.match(await page.content(), /Not available/);
  await page.close();
});
