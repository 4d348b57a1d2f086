// Issue 7 (hardening), as an outside attacker would probe a running Coffre: fragment bombs, malformed requests under
// the Development profile (the README's run), response headers, tokens, WebSocket upgrades, logs and the dashboard.
// One embedded server in Development, logging at Information everywhere (so the rules that keep URLs and chatter out
// of the logs are what is tested, not a quiet configuration).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { createHmac, createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import WebSocket from 'ws';
import { useServer, openVaultAsReferent, deposit, newFiness } from './harness.mjs';

const api = useServer([
  '--Coffre:Dashboard=true',
  '--Logging:LogLevel:Default=Information',
  '--Logging:LogLevel:Microsoft.AspNetCore=Information',
  '--Logging:LogLevel:Orleans=Information',
  '--Logging:LogLevel:Polly=Information',
], async (ctx) => {
  const socialWorker = await ctx.professional('SOC-AS', { finess: newFiness() });
  const vaultId = await openVaultAsReferent(ctx, socialWorker.token);
  ctx.scene = { vaultId, owner: await ctx.token('patient', vaultId), operator: await ctx.token('operator', 'op-hardening') };
}, { env: { DOTNET_ENVIRONMENT: 'Development', ASPNETCORE_ENVIRONMENT: 'Development' } });

const report = (line) => {
  if (process.env.COFFRE_TEST_REPORT) appendFileSync(process.env.COFFRE_TEST_REPORT, `hardening: ${line}\n`);
};

/** A stack trace or an exception's name in a body: never acceptable, in any profile. */
const STACK = /\bat [A-Za-z_][\w.`<>]*\(|\.cs:line \d|Exception\b|   at /;

async function post(body, headers = {}) {
  return fetch(`${api.baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

// ------------------------------------------------------------------ 1. fragment bombs

/** N fragments, each spreading the previous one twice: 2^N fields once expanded, about 60 bytes per level. */
function fragmentBomb(levels, { used = true } = {}) {
  const fragments = ['fragment F0 on Query { service { name version role } }'];
  for (let i = 1; i <= levels; i++) fragments.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`);
  return `${used ? `{ ...F${levels} }` : '{ __typename }'} ${fragments.join(' ')}`;
}

describe('fragment bombs are refused before validation', () => {
  for (const [levels, used] of [[22, true], [40, true], [99, true], [60, false]]) {
    test(`${levels} levels${used ? '' : ' (fragments defined, never spread)'} → 400 COMPLEXITY while a trivial query still answers`, async () => {
      const query = fragmentBomb(levels, { used });
      const started = performance.now();
      const bomb = post(JSON.stringify({ query })).then(async (r) => ({ r, body: await r.json(), ms: performance.now() - started }));
      const trivial = await post(JSON.stringify({ query: '{ __typename }' }));
      assert.equal(trivial.status, 200);
      assert.deepEqual((await trivial.json()).data, { __typename: 'Query' });
      const { r, body, ms } = await bomb;
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(body.errors[0].extensions.code, 'COMPLEXITY');
      assert.equal(body.errors[0].extensions.limit, 'expandedSelections');
      assert.match(body.errors[0].message, /expands to .* selections/);
      report(`fragment bomb ${levels} levels (${query.length} bytes${used ? '' : ', unused'}) refused in ${ms.toFixed(1)} ms`);
      // A hang detector, not a performance target: today's code spends seconds (22 levels) to minutes (more).
      assert.ok(ms < 5_000, `refusal took ${ms} ms`);
    });
  }

  test('more than 100 fragment definitions → 400 COMPLEXITY naming the limit', async () => {
    const fragments = Array.from({ length: 101 }, (_, i) => `fragment G${i} on Query { __typename }`).join(' ');
    const r = await post(JSON.stringify({ query: `{ __typename } ${fragments}` }));
    const body = await r.json();
    assert.equal(r.status, 400);
    assert.equal(body.errors[0].extensions.limit, 'fragments');
  });

  test('a fragment cycle is reported by validation, not a hang', async () => {
    const r = await post(JSON.stringify({ query: '{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }' }));
    const body = await r.json();
    assert.equal(r.status, 400);
    assert.match(JSON.stringify(body.errors), /cycle|itself|spread/i);
  });

  test('ordinary fragments still work', async () => {
    const data = await api.ok(null, '{ ...S } fragment S on Query { service { ...N } } fragment N on ServiceInfo { name }');
    assert.equal(data.service.name, 'coffre');
  });
});

// ------------------------------------------------------------------ 5. malformed requests

/**
 * Raw HTTP over a socket (for what fetch refuses to send). With `end`, half-closes after writing: the body is cut
 * short of its Content-Length, as by a client that dies mid-upload.
 */
function raw(request, { end = false, timeoutMs = 15_000 } = {}) {
  const { port } = new URL(api.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port), allowHalfOpen: true });
    const chunks = [];
    const timer = setTimeout(() => { socket.destroy(); resolve(parse(Buffer.concat(chunks))); }, timeoutMs);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', (e) => { clearTimeout(timer); resolve({ ...parse(Buffer.concat(chunks)), error: e.code }); });
    socket.on('end', () => { clearTimeout(timer); socket.destroy(); resolve(parse(Buffer.concat(chunks))); });
    socket.write(request, () => { if (end) socket.end(); });
  });
  function parse(buffer) {
    const text = buffer.toString('latin1');
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
    const split = text.indexOf('\r\n\r\n');
    let body = split >= 0 ? text.slice(split + 4) : '';
    if (/transfer-encoding: chunked/i.test(text.slice(0, split))) body = body.replace(/^[0-9a-f]+\r\n|\r\n[0-9a-f]+\r\n/gi, '');
    return { status, head: split >= 0 ? text.slice(0, split) : text, body };
  }
}

const http = (lines, body = '') => `${lines.join('\r\n')}\r\n\r\n${body}`;

function multipart(boundary, parts, { closing = true } = {}) {
  const pieces = parts.map(({ headers, body }) => `--${boundary}\r\n${headers.join('\r\n')}\r\n\r\n${body}\r\n`);
  return pieces.join('') + (closing ? `--${boundary}--\r\n` : '');
}

const meta = (m) => ({ headers: ['Content-Disposition: form-data; name="metadata"; filename="m.json"', 'Content-Type: application/json'], body: typeof m === 'string' ? m : JSON.stringify(m) });
const file = (content) => ({ headers: ['Content-Disposition: form-data; name="file"; filename="d.txt"', 'Content-Type: text/plain'], body: content });
const goodMeta = (content) => ({ title: 'Note', classCode: '90', typeCode: 'DOCPAT01', size: Buffer.byteLength(content), sha256: createHash('sha256').update(content).digest('hex') });

describe('malformed requests answer 4xx with a stable code and no stack trace (Development profile)', () => {
  const q = encodeURIComponent('{ service { name } }');
  const fetchCases = [
    ['GET variables not JSON', () => fetch(`${api.baseUrl}/graphql?query=${q}&variables=${encodeURIComponent('{"a":')}`)],
    ['GET variables an array', () => fetch(`${api.baseUrl}/graphql?query=${q}&variables=${encodeURIComponent('[1,2]')}`)],
    ['GET variables a string', () => fetch(`${api.baseUrl}/graphql?query=${q}&variables=${encodeURIComponent('"x"')}`)],
    ['GET variables garbage', () => fetch(`${api.baseUrl}/graphql?query=${q}&variables=%FF%FE%00`)],
    ['GET extensions not JSON', () => fetch(`${api.baseUrl}/graphql?query=${q}&extensions=${encodeURIComponent('{{')}`)],
    ['GET extensions a number', () => fetch(`${api.baseUrl}/graphql?query=${q}&extensions=123`)],
    ['GET without query', () => fetch(`${api.baseUrl}/graphql`)],
    ['GET query not GraphQL', () => fetch(`${api.baseUrl}/graphql?query=${encodeURIComponent('{ service { ')}`)],
    ['POST truncated JSON', () => post('{"query": "{ service { name } }"')],
    ['POST garbage bytes', () => post(Buffer.from([0xff, 0x00, 0xfe, 0x13, 0x37]))],
    ['POST a JSON array', () => post('[]')],
    ['POST query a number', () => post('{"query": 5}')],
    ['POST variables an array', () => post('{"query": "{ service { name } }", "variables": [1]}')],
    ['POST variables a string', () => post('{"query": "{ service { name } }", "variables": "x"}')],
    ['POST extensions a string', () => post('{"query": "{ service { name } }", "extensions": "x"}')],
    ['POST invalid UTF-8 in a string', () => post(Buffer.concat([Buffer.from('{"query": "{ service { name } }", "operationName": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]))],
    ['POST without content type', () => fetch(`${api.baseUrl}/graphql`, { method: 'POST', body: '{}' })],
    ['POST deeply nested JSON', () => post(`{"query": "{ __typename }", "variables": {"a": ${'['.repeat(5000)}${']'.repeat(5000)}}}`)],
    ['PUT', () => fetch(`${api.baseUrl}/graphql`, { method: 'PUT', body: '{}' })],
    ['download with a malformed vault id', () => fetch(`${api.baseUrl}/vaults/not-a-vault/documents/d-1/content`, { headers: api.auth(api.scene.owner) })],
    ['upload without boundary', () => fetch(`${api.baseUrl}/vaults/${api.scene.vaultId}/documents`, { method: 'POST', headers: { ...api.auth(api.scene.owner), 'content-type': 'multipart/form-data' }, body: 'x' })],
    ['upload with a 300-character boundary', () => fetch(`${api.baseUrl}/vaults/${api.scene.vaultId}/documents`, { method: 'POST', headers: { ...api.auth(api.scene.owner), 'content-type': `multipart/form-data; boundary=${'b'.repeat(300)}` }, body: 'x' })],
  ];
  const uploadHead = (length, boundary = 'XyZ', extra = []) => [
    `POST /vaults/${api.scene.vaultId}/documents HTTP/1.1`, 'Host: 127.0.0.1', `Authorization: Bearer ${api.scene.owner}`,
    `Content-Type: multipart/form-data; boundary=${boundary}`, `Content-Length: ${length}`, 'Connection: close', ...extra];
  const rawUpload = (body, { length = Buffer.byteLength(body), boundary } = {}) =>
    raw(http(uploadHead(length, boundary), body), { end: length > Buffer.byteLength(body) });
  const rawCases = [
    ['GraphQL POST shorter than its Content-Length', () => raw(http(['POST /graphql HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', 'Content-Length: 500', 'Connection: close'], '{"query": "{ service'), { end: true })],
    ['GraphQL POST with a malformed chunk', () => raw(http(['POST /graphql HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', 'Transfer-Encoding: chunked', 'Connection: close'], 'zz\r\n{}\r\n0\r\n\r\n'))],
    ['a 40 KiB request header', () => raw(http(['GET /graphql?query=%7B__typename%7D HTTP/1.1', 'Host: 127.0.0.1', `X-Padding: ${'a'.repeat(40 * 1024)}`, 'Connection: close']))],
    ['upload: garbage instead of parts', () => rawUpload('this is not multipart at all\r\n\r\n')],
    ['upload: truncated after the metadata headers', () => rawUpload('--XyZ\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{"title":')],
    ['upload: part headers past their limit', () => rawUpload(`--XyZ\r\nContent-Disposition: form-data; name="metadata"\r\nX-Big: ${'h'.repeat(20 * 1024)}\r\n\r\n{}\r\n--XyZ--\r\n`)],
    ['upload: metadata over 64 KiB', () => rawUpload(multipart('XyZ', [meta({ title: 't'.repeat(70 * 1024) }), file('x')]))],
    ['upload: metadata not JSON', () => rawUpload(multipart('XyZ', [meta('{not json'), file('x')]))],
    ['upload: metadata of the wrong types', () => rawUpload(multipart('XyZ', [meta('{"title": 5, "size": "many"}'), file('x')]))],
    ['upload: metadata null', () => rawUpload(multipart('XyZ', [meta('null'), file('x')]))],
    ['upload: no file part', () => rawUpload(multipart('XyZ', [meta(goodMeta('x'))]))],
    ['upload: file before metadata', () => rawUpload(multipart('XyZ', [file('x'), meta(goodMeta('x'))]))],
    ['upload: file cut short of its Content-Length', () => {
      const content = 'hello document';
      const body = multipart('XyZ', [meta(goodMeta(content)), file(content)], { closing: false }).slice(0, -10);
      return rawUpload(body, { length: Buffer.byteLength(body) + 5000 });
    }],
    ['upload: boundary never closed', () => rawUpload(multipart('XyZ', [meta(goodMeta('abc')), file('abc')], { closing: false }))],
  ];

  test(`a corpus of ${fetchCases.length + rawCases.length} malformed requests`, async () => {
    assert.ok(fetchCases.length + rawCases.length >= 30);
    const failures = [];
    for (const [name, send] of fetchCases) {
      const r = await send();
      const text = await r.text();
      check(name, r.status, text, r.headers.get('content-type') ?? '');
    }
    for (const [name, send] of rawCases) {
      const r = await send();
      // A client that cut its body short and closed its side may find the connection closed without an answer; what
      // matters then is that the server neither answered 5xx nor logged a failure (checked below).
      if (r.status === 0 && /cut short|shorter than/.test(name)) continue;
      if (r.error) failures.push(`${name}: connection error ${r.error} after ${JSON.stringify(r.head.slice(0, 200))}`);
      check(name, r.status, r.body, /content-type: ([^\r\n]*)/i.exec(r.head)?.[1] ?? '');
    }
    assert.deepEqual(failures, []);

    function check(name, status, text, type) {
      if (status < 400 || status > 499) failures.push(`${name}: status ${status} ${text.slice(0, 300)}`);
      if (STACK.test(text)) failures.push(`${name}: stack trace or exception name in the body: ${text.slice(0, 300)}`);
      if (/json/.test(type) && text.length > 0) {
        let code;
        try { code = JSON.parse(text).errors?.[0]?.extensions?.code; } catch { failures.push(`${name}: JSON body does not parse: ${text.slice(0, 200)}`); return; }
        if (typeof code !== 'string' || !/^[A-Z_]+$/.test(code)) failures.push(`${name}: no stable code: ${text.slice(0, 200)}`);
      }
    }
    // Nothing was stored by any of the uploads.
    assert.deepEqual(await api.storedFiles(api.scene.vaultId), []);
    assert.deepEqual(await api.stagingFiles(), []);
  });

  test('the server logged no exception while answering them', () => {
    assert.doesNotMatch(api.server.allOutput(), /^fail: |Unhandled exception/m);
  });
});

// ------------------------------------------------------------------ 7. smaller items

describe('headers', () => {
  test('GraphQL answers carry Cache-Control: no-store (POST, GET, errors)', async () => {
    for (const r of [
      await post(JSON.stringify({ query: '{ service { name } }' })),
      await fetch(`${api.baseUrl}/graphql?query=${encodeURIComponent('{ service { name } }')}`),
      await post('{bad'),
      await post(JSON.stringify({ query: '{ service { name } }' }), { authorization: 'Bearer not.a.token' }),
    ]) {
      await r.arrayBuffer();
      assert.equal(r.headers.get('cache-control'), 'no-store', `status ${r.status}`);
    }
  });

  test('downloads: nosniff, CSP sandbox, and text or XML served as bytes, PDFs as PDFs', async () => {
    const html = '<html><script>alert(document.cookie)</script></html>';
    const text = await deposit(api, api.scene.owner, api.scene.vaultId, { title: 'Texte', classCode: '90', typeCode: 'DOCPAT01' }, html, 'text/plain');
    const xml = await deposit(api, api.scene.owner, api.scene.vaultId, { title: 'XML', classCode: '90', typeCode: 'DOCPAT01' }, '<?xml version="1.0"?><?xml-stylesheet href="x.xsl"?><a/>', 'text/xml');
    const pdf = await deposit(api, api.scene.owner, api.scene.vaultId, { title: 'PDF', classCode: '90', typeCode: 'DOCPAT01' }, '%PDF-1.4 x', 'application/pdf');
    for (const [doc, served] of [[text, 'application/octet-stream'], [xml, 'application/octet-stream'], [pdf, 'application/pdf']]) {
      const r = await api.download(api.scene.owner, doc.downloadPath);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), served);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(r.headers.get('content-security-policy'), 'sandbox');
      assert.match(r.headers.get('content-disposition'), /^attachment/);
    }
    // The document keeps its declared type in its metadata.
    const data = await api.ok(api.scene.owner, 'query($id: ID!) { node(id: $id) { ... on Document { contentType } } }', { id: text.id });
    assert.equal(data.node.contentType, 'text/plain');
  });
});

/** An HS256 JWT signed with the server's key, with the given claims (exp/nbf/iat in seconds). */
function jwt(signingKey, claims) {
  const key = Buffer.from(signingKey, 'base64');
  const header = { alg: 'HS256', typ: 'JWT', kid: createHash('sha256').update(key).digest('hex').slice(0, 16) };
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${enc(header)}.${enc({ iss: 'coffre-dev', aud: 'coffre', sub: 'op-jwt', coffre_role: 'operator', ...claims })}`;
  return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
}

describe('tokens', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const viewer = async (token) => {
    const r = await post(JSON.stringify({ query: '{ viewer { kind } }' }), { authorization: `Bearer ${token}` });
    return { status: r.status, body: await r.json() };
  };

  test('a token valid now but minted for 48 hours is refused (401); one for 8 hours is accepted', async () => {
    const long = await viewer(jwt(api.server.signingKey, { iat: now(), nbf: now(), exp: now() + 48 * 3600 }));
    assert.equal(long.status, 401);
    assert.equal(long.body.errors[0].extensions.code, 'UNAUTHENTICATED');
    const noStart = await viewer(jwt(api.server.signingKey, { exp: now() + 30 * 24 * 3600 }));
    assert.equal(noStart.status, 401);
    const ok = await viewer(jwt(api.server.signingKey, { iat: now(), nbf: now(), exp: now() + 8 * 3600 }));
    assert.equal(ok.status, 200);
    assert.equal(ok.body.data.viewer.kind, 'OPERATOR');
  });

  test('clock skew: a token from 30 s ahead is accepted, one from 10 minutes ahead is refused, expiry is enforced', async () => {
    assert.equal((await viewer(jwt(api.server.signingKey, { nbf: now() + 30, exp: now() + 3600 }))).status, 200);
    assert.equal((await viewer(jwt(api.server.signingKey, { nbf: now() + 600, exp: now() + 3600 }))).status, 401);
    assert.equal((await viewer(jwt(api.server.signingKey, { nbf: now() - 7200, exp: now() - 600 }))).status, 401);
    assert.equal((await viewer(jwt(api.server.signingKey, { nbf: now() - 3600 }))).status, 401, 'a token without exp');
  });

  test('a WebSocket upgrade with an invalid bearer header is refused with 401, as HTTP is', async () => {
    const status = await new Promise((resolve, reject) => {
      const ws = new WebSocket(`${api.baseUrl.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', { headers: { authorization: 'Bearer not.a.token' } });
      ws.on('unexpected-response', (_, res) => { resolve(res.statusCode); ws.terminate(); });
      ws.on('open', () => { ws.close(); reject(new Error('upgrade accepted')); });
      ws.on('error', () => {});
    });
    assert.equal(status, 401);
    // Without a header the upgrade is accepted (the token may come in connection_init).
    await new Promise((resolve, reject) => {
      const ws = new WebSocket(`${api.baseUrl.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
      ws.on('open', () => { ws.close(); resolve(); });
      ws.on('unexpected-response', (_, res) => reject(new Error(`refused: ${res.statusCode}`)));
    });
  });
});

describe('dashboard', () => {
  test('needs an operator token: none, a patient\'s or a bad one → 401 with a Basic challenge; an operator\'s → served', async () => {
    for (const headers of [{}, api.auth(api.scene.owner), { authorization: `Basic ${Buffer.from(`x:${api.scene.owner}`).toString('base64')}` }, { authorization: 'Basic !!!' }]) {
      const r = await fetch(`${api.baseUrl}/dashboard/`, { headers, redirect: 'manual' });
      await r.arrayBuffer();
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.match(r.headers.get('www-authenticate') ?? '', /^Basic /);
    }
    for (const path of ['/dashboard/', '/dashboard/DashboardCounters']) {
      const r = await fetch(`${api.baseUrl}${path}`, { headers: api.auth(api.scene.operator) });
      await r.arrayBuffer();
      assert.ok(r.status < 400, `${path}: ${r.status}`);
    }
    const basic = await fetch(`${api.baseUrl}/dashboard/`, { headers: { authorization: `Basic ${Buffer.from(`op:${api.scene.operator}`).toString('base64')}` } });
    assert.equal(basic.status, 200);
    assert.match(await basic.text(), /<html/i);
  });
});

describe('logs', () => {
  test('no request URL with its query string, no Polly attempts, no activation chatter, even at Information', async () => {
    const marker = `MARKER${Date.now()}`;
    const r = await fetch(`${api.baseUrl}/graphql?query=${encodeURIComponent('{ service { name } }')}&variables=${encodeURIComponent(JSON.stringify({ nir: marker }))}`);
    assert.equal(r.status, 200);
    await r.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const logs = api.server.allOutput();
    assert.match(logs, /info: /, 'the server logs at Information in this test');
    assert.doesNotMatch(logs, new RegExp(marker));
    assert.doesNotMatch(logs, /\?query=/);
    assert.doesNotMatch(logs, /^info: Polly/m);
    assert.doesNotMatch(logs, /^info: Orleans\.Runtime\.Catalog/m);
  });
});
