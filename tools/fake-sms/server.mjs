#!/usr/bin/env node
// A fake HTTP SMS provider for tests and deploy/local: never sends anything.
//
//   node tools/fake-sms/server.mjs [--port 0] [--host 127.0.0.1] [--api-key KEY] [--refuse +33600000001,+44...]
//                                  [--fail-first N] [--delay-ms MS] [--port-file PATH]
//
// POST /sms        {to, text, reference} with the API key in X-Api-Key →
//                  401 without the right key, 503 for the first N requests (--fail-first), 422 "invalid or
//                  unreachable number" for a refused number, else 202 {id}. A reference seen before is accepted
//                  again without recording a second message (the outbox delivers at least once).
// GET  /messages   what it accepted, in order: [{to, text, reference, at}]; ?reference=… filters.
// GET  /stats      {received, accepted, refused, unavailable}
// --delay-ms holds every answer that long (a slow provider; a dispatcher can be killed mid-batch).
// POST /control    {failFirst?, refuse?: [numbers], delayMs?} changes the behaviour at run time; DELETE /messages clears.
// On start it prints one line "fake-sms listening on http://HOST:PORT" (and writes PORT to --port-file).
import http from 'node:http';
import fs from 'node:fs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const host = option('host', '127.0.0.1');
const port = Number(option('port', '0'));
const apiKey = option('api-key', 'fake-sms-key');
const portFile = option('port-file', '');
let refuse = new Set(option('refuse', '').split(',').filter(Boolean));
let failFirst = Number(option('fail-first', '0'));
let delayMs = Number(option('delay-ms', '0'));

const messages = [];
const references = new Set();
const stats = { received: 0, accepted: 0, refused: 0, unavailable: 0 };

const reply = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const readJson = (req) => new Promise((resolve) => {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size <= 64 * 1024) chunks.push(c);
  });
  req.on('end', () => {
    try {
      resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch {
      resolve(null);
    }
  });
});

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, `http://${host}`);
  if (req.method === 'POST' && url.pathname === '/sms') {
    stats.received++;
    if (req.headers['x-api-key'] !== apiKey) return reply(res, 401, { error: 'bad api key' });
    const body = await readJson(req);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (!body || typeof body.to !== 'string' || typeof body.text !== 'string' || typeof body.reference !== 'string') {
      return reply(res, 400, { error: 'to, text and reference are required strings' });
    }
    if (failFirst > 0) {
      failFirst--;
      stats.unavailable++;
      return reply(res, 503, { error: 'temporarily unavailable' });
    }
    if (refuse.has(body.to)) {
      stats.refused++;
      return reply(res, 422, { error: 'invalid or unreachable number' });
    }
    if (!references.has(body.reference)) {
      references.add(body.reference);
      messages.push({ to: body.to, text: body.text, reference: body.reference, at: new Date().toISOString() });
    }
    stats.accepted++;
    return reply(res, 202, { id: body.reference });
  }
  if (req.method === 'GET' && url.pathname === '/messages') {
    const reference = url.searchParams.get('reference');
    return reply(res, 200, reference ? messages.filter((m) => m.reference === reference) : messages);
  }
  if (req.method === 'DELETE' && url.pathname === '/messages') {
    messages.length = 0;
    references.clear();
    return reply(res, 200, {});
  }
  if (req.method === 'GET' && url.pathname === '/stats') return reply(res, 200, stats);
  if (req.method === 'POST' && url.pathname === '/control') {
    const body = (await readJson(req)) ?? {};
    if (Number.isInteger(body.failFirst)) failFirst = body.failFirst;
    if (Array.isArray(body.refuse)) refuse = new Set(body.refuse.map(String));
    if (Number.isInteger(body.delayMs)) delayMs = body.delayMs;
    return reply(res, 200, { failFirst, refuse: [...refuse], delayMs });
  }
  return reply(res, 404, { error: 'not found' });
});

server.listen(port, host, () => {
  const actual = server.address().port;
  if (portFile) fs.writeFileSync(portFile, String(actual));
  console.log(`fake-sms listening on http://${host}:${actual}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
