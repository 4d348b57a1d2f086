// Fan-out latency of pushed subscriptions (issue 12): from a document deposit to the subscriber's WebSocket frame,
// p50/p99, with SUBSCRIBERS graphql-ws connections on one gateway, and the same measure with BASELINE subscribers in
// the same run. A real cluster (tests/api/harness.mjs startCluster: PostgreSQL + Azurite, SILOS silos + a gateway).
//
//   ulimit -n 20000; source /tmp/coffre-dev.env
//   node benchmarks/subscriptions/fanout.mjs > benchmarks/results/issue12-subscriptions/fanout.json
//
// Each vault is followed by PER_VAULT connections of its owner (SUBSCRIBERS / PER_VAULT vaults); DEPOSITS deposits,
// one at a time, go through a silo's own HTTP endpoint into vaults picked round-robin. Latency: from the deposit's
// HTTP response (and from its request) to each of that vault's subscribers' frame for the document.
import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';
import { startCluster, client, deposit, openVaultAsReferent } from '../../tests/api/harness.mjs';

const require = createRequire(new URL('../../tests/api/package.json', import.meta.url));
const { createClient } = require('graphql-ws');
const WebSocket = require('ws');

const SUBSCRIBERS = Number(process.env.SUBSCRIBERS ?? 10_000);
const BASELINE = Number(process.env.BASELINE ?? 10);
const PER_VAULT = Number(process.env.PER_VAULT ?? 5);
const DEPOSITS = Number(process.env.DEPOSITS ?? 200);
const SILOS = Number(process.env.SILOS ?? 2);
const log = (...a) => console.error(new Date().toISOString(), ...a);

/** A patient token for another vault: the verb's token with its subject replaced, signed again with the cluster key. */
function retarget(template, signingKey, vaultId) {
  const [header, payload] = template.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  claims.sub = vaultId;
  const body = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${body}.${createHmac('sha256', Buffer.from(signingKey, 'base64')).update(body).digest('base64url')}`;
}

async function pool(items, width, work) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i], i);
    }
  }));
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const summary = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, min: s[0], p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s.at(-1) };
};

const cluster = await startCluster({ silos: SILOS });
try {
  const gw = client(cluster.gateway);
  const silo = client(cluster.silos.at(-1));
  const social = await gw.professional('SOC-AS');
  const vaultCount = Math.ceil(SUBSCRIBERS / PER_VAULT);
  log(`opening ${vaultCount} vaults`);
  const vaults = [];
  await pool(Array.from({ length: vaultCount }), 16, async (_, i) => {
    vaults[i] = await openVaultAsReferent(gw, social.token, { familyName: 'Bench', givenNames: `P${i}` });
  });
  const template = await gw.token('patient', vaults[0]);
  const tokens = vaults.map((v) => retarget(template, cluster.gateway.signingKey, v));
  const url = cluster.gateway.baseUrl.replace('http', 'ws') + '/graphql';
  // Every frame's arrival time, by document id (a frame may arrive before its deposit's HTTP response).
  const frames = new Map();
  const sockets = [];

  async function connect(vaultIndex) {
    const ws = createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${tokens[vaultIndex]}` }, lazy: false, retryAttempts: 0, keepAlive: 0 });
    sockets.push(ws);
    await new Promise((resolve, reject) => {
      let acked = false;
      ws.on('connected', () => { acked = true; resolve(); });
      ws.subscribe({ query: 'subscription E($v: ID!) { vaultEventAdded(vaultId: $v) { kind subjectId } }', variables: { v: vaults[vaultIndex] } }, {
        next: ({ data }) => {
          const now = performance.now();
          const e = data?.vaultEventAdded;
          if (e?.kind === 'DOCUMENT_ADDED') (frames.get(e.subjectId) ?? frames.set(e.subjectId, []).get(e.subjectId)).push(now);
        },
        error: (e) => (acked ? log('subscription error', JSON.stringify(e)) : reject(new Error(JSON.stringify(e)))),
        complete: () => {},
      });
    });
  }

  async function measure(label, vaultsInUse, deposits) {
    const fromResponse = [];
    const fromRequest = [];
    let missing = 0;
    for (let d = 0; d < deposits; d++) {
      const v = vaultsInUse[d % vaultsInUse.length];
      const sent = performance.now();
      const body = await deposit(silo, tokens[v], vaults[v], { title: `bench ${label} ${d}`, classCode: '10', typeCode: '11502-2' });
      const responded = performance.now();
      // Wait (10 s at most) until every subscriber of the vault has its frame; times are those recorded on arrival.
      const deadline = responded + 10_000;
      while ((frames.get(body.documentId)?.length ?? 0) < PER_VAULT && performance.now() < deadline) await new Promise((r) => setTimeout(r, 1));
      const arrived = frames.get(body.documentId) ?? [];
      missing += PER_VAULT - arrived.length;
      frames.delete(body.documentId);
      for (const t of arrived) {
        fromResponse.push(t - responded);
        fromRequest.push(t - sent);
      }
    }
    return { label, subscribers: sockets.length, followedVaults: vaultsInUse.length, deposits, framesMissing: missing, fromResponseMs: summary(fromResponse), fromRequestMs: summary(fromRequest) };
  }

  // Baseline: BASELINE subscribers.
  const baselineVaults = Array.from({ length: Math.ceil(BASELINE / PER_VAULT) }, (_, i) => i);
  log(`baseline: ${baselineVaults.length * PER_VAULT} subscribers`);
  for (const v of baselineVaults) for (let k = 0; k < PER_VAULT; k++) await connect(v);
  // A warm-up pass (JIT, pools, grain activations), not reported, then the baseline.
  await measure('warm-up', baselineVaults, 50);
  const baseline = await measure('baseline', baselineVaults, Math.min(DEPOSITS, 100));

  // Load: the remaining vaults' subscribers, up to SUBSCRIBERS in all.
  log(`opening ${SUBSCRIBERS - sockets.length} more subscribers`);
  const opening = performance.now();
  const rest = [];
  for (let v = baselineVaults.length; v < vaultCount; v++) for (let k = 0; k < PER_VAULT; k++) rest.push(v);
  await pool(rest, 100, connect);
  const openSeconds = (performance.now() - opening) / 1000;
  log(`${sockets.length} subscribers open in ${openSeconds.toFixed(1)} s`);
  await new Promise((r) => setTimeout(r, 3_000));
  // Deposits into a sample of the vaults across the whole range.
  const sample = Array.from({ length: 50 }, (_, i) => Math.floor((i * vaultCount) / 50));
  const loaded = await measure('loaded', sample, DEPOSITS);

  console.log(JSON.stringify({ at: new Date().toISOString(), silos: SILOS, perVault: PER_VAULT, subscribers: sockets.length, openSeconds, baseline, loaded }, null, 2));
  await Promise.all(sockets.map((s) => s.dispose()));
} finally {
  await cluster.stop();
}
