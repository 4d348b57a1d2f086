// GraphiQL at /graphiql in a real headless Chromium (Debian's /usr/bin/chromium through puppeteer-core): the page and
// its Monaco workers load from the server alone under its Content-Security-Policy, a typed query runs over HTTP, and a
// subscription runs over the graphql-transport-ws WebSocket with the token from GraphiQL's headers editor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './browser-kit.mjs';
import { useServer, newNir, newFiness, openVaultAsReferent, grant, accessHistory, waitFor } from './harness.mjs';

let scene;
const api = useServer([], async (ctx) => {
  const socialWorker = await ctx.professional('SOC-AS', { finess: newFiness() });
  const vaultId = await openVaultAsReferent(ctx, socialWorker.token, { nir: newNir() });
  scene = { vaultId, ownerToken: await ctx.token('patient', vaultId) };
});
const browser = useBrowser();

/**
 * Opens /graphiql and waits until the operation editor is up and the schema has been fetched. Returns the page and
 * what it did: every request URL (workers' scripts included), WebSockets opened, console errors and page errors.
 */
async function openGraphiQL() {
  const page = await browser.newPage();
  const seen = { requests: [], operations: [], sockets: [], handshakes: [], framesSent: [], consoleErrors: [], pageErrors: [] };
  page.on('request', (r) => seen.requests.push(r.url()));
  // GraphQL calls by operation name and status (for diagnostics; no bodies, no headers).
  page.on('response', (r) => {
    if (r.url() === `${api.baseUrl}/graphql` && r.request().method() === 'POST') {
      let name = '?';
      try {
        name = JSON.parse(r.request().postData() ?? '{}').operationName ?? '(unnamed)';
      } catch { /* not JSON */ }
      seen.operations.push(`${name} ${r.status()}`);
    }
  });
  page.on('console', (m) => { if (m.type() === 'error' || /Content Security Policy|Refused to/i.test(m.text())) seen.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => seen.pageErrors.push(e.message));
  const cdp = await page.createCDPSession();
  await cdp.send('Network.enable');
  cdp.on('Network.webSocketCreated', (e) => seen.sockets.push(e.url));
  cdp.on('Network.webSocketHandshakeResponseReceived', (e) => seen.handshakes.push(e.response));
  cdp.on('Network.webSocketFrameSent', (e) => {
    try {
      seen.framesSent.push(JSON.parse(e.response.payloadData));
    } catch {
      seen.framesSent.push({ unparsed: true });
    }
  });
  const schema = page.waitForResponse((r) => r.url() === `${api.baseUrl}/graphql` && r.request().method() === 'POST'
    && (r.request().postData() ?? '').includes('IntrospectionQuery'), { timeout: 30_000 });
  const response = await page.goto(`${api.baseUrl}/graphiql`, { waitUntil: 'load' });
  assert.equal(response.status(), 200);
  await page.waitForSelector('.graphiql-query-editor .monaco-editor .view-lines', { timeout: 30_000 });
  assert.equal((await schema).status(), 200);
  return { page, seen };
}

/** Replaces the text of the Monaco editor inside `container` as a user would: focus, select all, type. */
async function setEditorText(page, container, text) {
  // Near the top left corner: the lines' box is as wide as the longest line, its centre may be off the editor.
  const lines = await page.$(`${container} .monaco-editor .view-lines`);
  await lines.click({ offset: { x: 5, y: 5 } });
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  // One insertion (as a paste or an input method would): Monaco's bracket auto-closing and suggestions stay out of it.
  await page.keyboard.sendCharacter(text);
}

/**
 * Clicks GraphiQL's run button once GraphiQL has read the edited operation (its tab takes the operation's name), as a
 * user who sees the tab's title change would.
 */
async function run(page, operationName) {
  await page.waitForFunction((name) => [...document.querySelectorAll('.graphiql-tab-button')].some((b) => b.textContent.trim() === name),
    { timeout: 15_000 }, operationName);
  await page.click('.graphiql-execute-button');
}

/** The visible text of a Monaco editor (non-breaking spaces as spaces). */
const editorText = (page, container) => page.$eval(`${container} .monaco-editor .view-lines`, (e) => e.innerText.replace(/\u00a0/g, ' '));

const resultText = (page) => editorText(page, '.result-window');

async function waitForResult(page, seen, predicate, message) {
  let last = '';
  try {
    await waitFor(async () => predicate(last = await resultText(page)), { timeoutMs: 30_000 });
  } catch {
    assert.fail(`${message}; result pane: ${last}; GraphQL calls: ${seen.operations.join(', ')}; errors: ${[...seen.pageErrors, ...seen.consoleErrors].join(' | ')}`);
  }
  return last;
}

/** Everything the page requested came from the server itself (data: URIs are the stylesheet's inlined fonts). */
function assertSameOrigin(seen) {
  const foreign = [...seen.requests, ...seen.sockets].filter((url) => !url.startsWith(`${api.baseUrl}/`) && !url.startsWith(api.baseUrl.replace(/^http/, 'ws') + '/') && !url.startsWith('data:'));
  assert.deepEqual(foreign, [], 'requests that left the origin');
}

function assertNoErrors(seen) {
  assert.deepEqual(seen.pageErrors, [], 'uncaught errors in the page');
  assert.deepEqual(seen.consoleErrors, [], 'console errors (CSP violations included)');
}

test('GraphiQL: the page and its Monaco workers load from the server alone, and a typed query runs', async () => {
  const { page, seen } = await openGraphiQL();
  try {
    await setEditorText(page, '.graphiql-query-editor', 'query Typed { service { name role } __typename }');
    assert.match(await editorText(page, '.graphiql-query-editor'), /query Typed \{ service \{ name role \} __typename \}/);
    await run(page, 'Typed');
    const text = await waitForResult(page, seen, (t) => t.includes('"__typename"'), 'no result for the typed query');
    assert.deepEqual(JSON.parse(text), { data: { service: { name: 'coffre', role: 'embedded' }, __typename: 'Query' } });

    // Monaco's three workers came from /graphiql/ (the GraphQL one gives the editor its schema-aware features).
    for (const worker of ['editor.worker-', 'json.worker-', 'graphql.worker-']) {
      assert.ok(seen.requests.some((url) => url.startsWith(`${api.baseUrl}/graphiql/${worker}`)), `${worker} not loaded: ${seen.requests.join(' ')}`);
    }
    assertSameOrigin(seen);
    assertNoErrors(seen);
  } finally {
    await page.close();
  }
});

test('GraphiQL: a subscription runs over graphql-transport-ws with the Authorization set in the headers editor', async () => {
  const { page, seen } = await openGraphiQL();
  try {
    await setEditorText(page, '.graphiql-query-editor', `subscription Feed { notificationAdded(vaultId: "${scene.vaultId}") { kind payload { ... on FirstAccessNotice { rpps } } } }`);
    // The headers editor: its tab, then its own Monaco editor.
    const [headersTab] = await page.$$('xpath/.//button[normalize-space(.)="Headers"]');
    assert.ok(headersTab, 'no Headers tab');
    await headersTab.click();
    await page.waitForSelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .monaco-editor .view-lines');
    await setEditorText(page, '.graphiql-editor-tool .graphiql-editor:not(.hidden)', JSON.stringify({ Authorization: `Bearer ${scene.ownerToken}` }));

    const readsBefore = (await accessHistory(api, scene.ownerToken, scene.vaultId)).filter((e) => e.operation === 'notifications.read' && e.allowed).length;
    await run(page, 'Feed');

    // The socket: same origin, the graphql-transport-ws subprotocol, the token in connection_init (never printed).
    await waitFor(() => seen.handshakes.length > 0, { message: 'no WebSocket handshake' });
    assert.deepEqual(seen.sockets, [`${api.baseUrl.replace(/^http/, 'ws')}/graphql`]);
    const protocol = Object.entries(seen.handshakes[0].headers).find(([k]) => k.toLowerCase() === 'sec-websocket-protocol')?.[1];
    assert.equal(protocol, 'graphql-transport-ws');
    const init = seen.framesSent.find((f) => f.type === 'connection_init');
    assert.ok(init, 'no connection_init sent');
    assert.ok(init.payload?.Authorization === `Bearer ${scene.ownerToken}`, 'connection_init does not carry the headers editor\'s Authorization');

    // Live once its opening read of the notifications is audited; then a newly granted professional reads the vault.
    await waitFor(async () => (await accessHistory(api, scene.ownerToken, scene.vaultId)).filter((e) => e.operation === 'notifications.read' && e.allowed).length > readsBefore,
      { timeoutMs: 15_000, intervalMs: 200, message: 'the subscription did not start' });
    const nurse = await api.professional('60');
    await grant(api, scene.ownerToken, scene.vaultId, nurse.rpps);
    await api.ok(nurse.token, 'query Q($id: ID!) { vault(id: $id) { basis } }', { id: scene.vaultId });

    // The result pane wraps long lines (the payload): read it as text, not JSON.
    const text = await waitForResult(page, seen, (t) => t.includes('FIRST_ACCESS') && t.includes(nurse.rpps), 'no first-access notification in the result pane');
    assert.match(text, /"notificationAdded":\s*\{\s*"kind":\s*"FIRST_ACCESS"/);
    assertSameOrigin(seen);
    assertNoErrors(seen);
  } finally {
    await page.close();
  }
});

test('GraphiQL over HTTP: CSP, nosniff, immutable hashed assets, gzip or not as the client accepts', async () => {
  const pageResponse = await fetch(`${api.baseUrl}/graphiql`);
  assert.equal(pageResponse.status, 200);
  assert.equal(pageResponse.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(pageResponse.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(pageResponse.headers.get('cache-control'), 'no-cache');
  const csp = pageResponse.headers.get('content-security-policy');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self';/);
  assert.doesNotMatch(csp, /unsafe-eval|https?:|\*/);
  const html = await pageResponse.text();
  assert.doesNotMatch(html, /https?:\/\/|<script>|\son\w+=/, 'the page names no other origin and has no inline script');
  const script = html.match(/src="(\/graphiql\/graphiql-[A-Z0-9]+\.js)"/)?.[1];
  assert.ok(script, html);

  const gzipped = await fetch(`${api.baseUrl}${script}`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(gzipped.status, 200);
  assert.equal(gzipped.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(gzipped.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(gzipped.headers.get('content-encoding'), 'gzip');
  assert.equal(gzipped.headers.get('x-content-type-options'), 'nosniff');
  const plain = await fetch(`${api.baseUrl}${script}`, { headers: { 'accept-encoding': 'identity' } });
  assert.equal(plain.headers.get('content-encoding'), null);
  assert.equal(await plain.text(), await gzipped.text(), 'the same script, compressed or not');

  const licenses = await fetch(`${api.baseUrl}/graphiql/licenses.txt`);
  assert.equal(licenses.status, 200);
  assert.equal(licenses.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.equal(licenses.headers.get('cache-control'), 'no-cache');
  const notices = await licenses.text();
  for (const bundled of ['graphiql 5.4.0', 'graphql 16.15.0', 'graphql-ws 6.4.2', 'monaco-editor 0.52.2', 'react 19.3.1']) {
    assert.ok(notices.includes(`\n${bundled} (`), `${bundled} missing from licenses.txt`);
  }

  assert.equal((await fetch(`${api.baseUrl}/graphiql/nothing-here.js`)).status, 404);
  assert.equal((await fetch(`${api.baseUrl}/graphiql/index.html`)).status, 404);
  assert.equal((await fetch(`${api.baseUrl}/graphiql`, { method: 'POST' })).status, 405);
});
