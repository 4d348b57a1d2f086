// Pushed subscriptions on a real cluster (issue 12): three silo processes and a gateway on PostgreSQL + Azurite.
// Subscribers talk to the gateway with the npm graphql-ws client; documents are deposited through the silos' own
// endpoints, so every event is raised on a silo and must travel to the gateway.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startCluster, clusterServices, client, deposit, openVaultAsReferent } from './harness.mjs';

const EVENT = `subscription Events($vaultId: ID!, $after: String) {
  vaultEventAdded(vaultId: $vaultId, after: $after) { id kind subjectId at cursor } }`;

let cluster;
let gateway;
let silos;
let scene;

before(async () => {
  if (!clusterServices()) return;
  cluster = await startCluster({ silos: 3 });
  gateway = client(cluster.gateway);
  silos = cluster.silos.map((s) => client(s));
  const socialWorker = await gateway.professional('SOC-AS');
  const vaultId = await openVaultAsReferent(gateway, socialWorker.token);
  const otherVaultId = await openVaultAsReferent(gateway, socialWorker.token, { familyName: 'Autre', givenNames: 'Personne' });
  scene = {
    vaultId,
    owner: { token: await gateway.token('patient', vaultId) },
    other: { token: await gateway.token('patient', otherVaultId) },
    doctor: await gateway.professional('10'),
  };
}, { timeout: 300_000 });

after(async () => {
  await cluster?.stop();
});

/** A graphql-ws client on the gateway, the token in connectionParams. */
function wsClient(token) {
  return createClient({
    url: cluster.gateway.baseUrl.replace('http', 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: true,
    retryAttempts: 0,
  });
}

/** Subscribes; `take(ms)` gives the next event (or throws on error/complete/timeout). */
function subscribe(ws, variables) {
  const queue = [];
  const waiters = [];
  const push = (item) => (waiters.length > 0 ? waiters.shift()(item) : queue.push(item));
  const stop = ws.subscribe({ query: EVENT, variables }, {
    next: (value) => push({ value }),
    error: (error) => push({ error }),
    complete: () => push({ complete: true }),
  });
  return {
    stop,
    next: () => (queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message within 20 s')), 20_000);
      waiters.push((item) => { clearTimeout(timer); resolve(item); });
    })),
    async take() {
      const item = await this.next();
      assert.ok(item.value, `the subscription ended: ${JSON.stringify(item)}`);
      assert.equal(item.value.errors, undefined, JSON.stringify(item.value.errors));
      return item.value.data.vaultEventAdded;
    },
  };
}

const doc = (title) => ({ title, classCode: '10', typeCode: '11502-2' });

test('a document deposited through another silo reaches the subscriber on the gateway; reconnect with the cursor catches up exactly the missed events', { skip: !clusterServices() && 'COFFRE_TEST_POSTGRES / COFFRE_TEST_BLOB not set', timeout: 240_000 }, async () => {
  const { vaultId, owner } = scene;
  // Before subscribing: one deposit through silo 1.
  const first = await deposit(silos[0], owner.token, vaultId, doc('Avant'));

  const ws = wsClient(owner.token);
  let last;
  try {
    const s = subscribe(ws, { vaultId, after: '0' });
    // The log is replayed from the start: the first deposit is in it (the subscriber is listening from then on).
    const seen = [];
    for (let e = await s.take(); ; e = await s.take()) {
      seen.push(e);
      if (e.kind === 'DOCUMENT_ADDED' && e.subjectId === first.documentId) break;
    }
    // Now a deposit through silo 2: raised there, pushed to the gateway.
    const second = await deposit(silos[1], owner.token, vaultId, doc('Pendant'));
    for (let e = await s.take(); ; e = await s.take()) {
      seen.push(e);
      if (e.kind === 'DOCUMENT_ADDED' && e.subjectId === second.documentId) break;
    }
    // Each position once, in order, from 1.
    assert.deepEqual(seen.map((e) => Number(e.cursor)), seen.map((_, i) => i + 1), JSON.stringify(seen));
    last = seen.at(-1).cursor;
    s.stop();
  } finally {
    await ws.dispose();
  }

  // Disconnected: two deposits through silo 3.
  const missed = [await deposit(silos[2], owner.token, vaultId, doc('Absent 1')), await deposit(silos[2], owner.token, vaultId, doc('Absent 2'))];
  // What the log holds after the cursor (the catch-up query)…
  const page = await gateway.ok(owner.token, `query Q($vaultId: ID!, $after: String) { vaultEvents(vaultId: $vaultId, after: $after, first: 50) {
    edges { cursor node { id kind subjectId } } pageInfo { hasNextPage endCursor } } }`, { vaultId, after: last });
  assert.deepEqual(page.vaultEvents.edges.map((e) => [e.node.kind, e.node.subjectId]),
    missed.map((m) => ['DOCUMENT_ADDED', m.documentId]));
  assert.equal(page.vaultEvents.pageInfo.hasNextPage, false);

  // …and the resumed subscription gives exactly those, then goes live.
  const again = wsClient(owner.token);
  try {
    const s = subscribe(again, { vaultId, after: last });
    const caught = [await s.take(), await s.take()];
    assert.deepEqual(caught.map((e) => [e.kind, e.subjectId, e.cursor]), page.vaultEvents.edges.map((e) => [e.node.kind, e.node.subjectId, e.cursor]));
    const live = await deposit(silos[0], owner.token, vaultId, doc('Retour'));
    const next = await s.take();
    assert.deepEqual([next.kind, next.subjectId, Number(next.cursor)], ['DOCUMENT_ADDED', live.documentId, Number(caught[1].cursor) + 1]);
    s.stop();
  } finally {
    await again.dispose();
  }
});

test('a subscriber with no standing on the vault is refused with an error message (FORBIDDEN); so is a professional', { skip: !clusterServices() && 'COFFRE_TEST_POSTGRES / COFFRE_TEST_BLOB not set', timeout: 60_000 }, async () => {
  for (const token of [scene.other.token, scene.doctor.token]) {
    const ws = wsClient(token);
    try {
      const s = subscribe(ws, { vaultId: scene.vaultId });
      const item = await s.next();
      assert.ok(item.error, JSON.stringify(item));
      assert.equal(item.error[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(item.error));
      assert.deepEqual(item.error[0].path, ['vaultEventAdded']);
    } finally {
      await ws.dispose();
    }
  }
});
