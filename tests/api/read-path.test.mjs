// Issue 10's read path over HTTP: a professional's vault-documents query is one vault-grain read and one audit event;
// capabilities are computed only when selected; aliases with other `documents` arguments get their own pages; a
// professional without basis is refused at `vault`; an operator reads the summary and is refused at `documents`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, openVaultAsReferent, deposit, grant, accessHistory, globalId } from './harness.mjs';

let scene;

const api = useServer([], async (ctx) => {
  const socialWorker = await ctx.professional('SOC-AS');
  const vaultId = await openVaultAsReferent(ctx, socialWorker.token, { familyName: 'Lecture', givenNames: 'Rapide' });
  const owner = { vaultId, token: await ctx.token('patient', vaultId) };
  const [doctor, noBasis] = await Promise.all([ctx.professional('10'), ctx.professional('10')]);
  for (let i = 0; i < 5; i++) await deposit(ctx, owner.token, vaultId, { title: `Biologie ${i}`, classCode: '10', typeCode: '11502-2' });
  await grant(ctx, owner.token, vaultId, doctor.rpps);
  scene = { vaultId, owner, doctor, noBasis, operator: { token: await ctx.token('operator', 'op-read-path', { operatorRoles: 'support' }) } };
});

const DOCUMENTS = 'query Q($id: ID!) { vault(id: $id) { vaultId documents(first: 20) { totalCount edges { cursor node { documentId title } } } } }';

const eventsOf = async (actorId) => (await accessHistory(api, scene.owner.token, scene.vaultId)).filter((e) => e.actorId === actorId);

describe('a professional reads a vault\'s documents', () => {
  test('without capabilities: the page, recorded as one documents.list event', async () => {
    const before = (await eventsOf(scene.doctor.rpps)).length;
    const data = await api.ok(scene.doctor.token, DOCUMENTS, { id: scene.vaultId });
    assert.equal(data.vault.vaultId, scene.vaultId);
    assert.equal(data.vault.documents.totalCount, 5);
    assert.equal(data.vault.documents.edges.length, 5);
    const events = await eventsOf(scene.doctor.rpps);
    assert.equal(events.length, before + 1, 'one read, one audit event');
    assert.equal(events[0].operation, 'documents.list');
    assert.equal(events[0].allowed, true);
    assert.equal(events[0].basis, 'GRANT');
  });

  test('with capabilities: the same page and what the doctor may do', async () => {
    const data = await api.ok(scene.doctor.token, 'query Q($id: ID!) { vault(id: $id) { capabilities documents(first: 2) { totalCount edges { cursor } } } }', { id: scene.vaultId });
    assert.ok(data.vault.capabilities.includes('LIST_DOCUMENTS'));
    assert.ok(!data.vault.capabilities.includes('MANAGE_ACCESS'));
    assert.equal(data.vault.documents.edges.length, 2);
    const viaFragment = await api.ok(scene.doctor.token, 'query Q($id: ID!) { node(id: $id) { ... on Vault { ...Caps } } } fragment Caps on Vault { capabilities }',
      { id: globalId('Vault', scene.vaultId) });
    assert.deepEqual(viaFragment.node.capabilities, data.vault.capabilities);
  });

  test('aliases with other documents arguments each get their own page', async () => {
    const data = await api.ok(scene.doctor.token, `query Q($id: ID!) { vault(id: $id) {
      one: documents(first: 1) { edges { cursor } }
      three: documents(first: 3) { edges { cursor } pageInfo { hasNextPage } }
      again: documents(first: 1) { totalCount } } }`, { id: scene.vaultId });
    assert.equal(data.vault.one.edges.length, 1);
    assert.equal(data.vault.three.edges.length, 3);
    assert.equal(data.vault.three.pageInfo.hasNextPage, true);
    assert.equal(data.vault.again.totalCount, 5);
    const next = await api.ok(scene.doctor.token, 'query Q($id: ID!, $after: String) { vault(id: $id) { documents(first: 3, after: $after) { edges { cursor } } } }',
      { id: scene.vaultId, after: data.vault.three.edges[2].cursor });
    assert.equal(next.vault.documents.edges.length, 2, 'the page after the third document');
  });

  test('a bad page size is an error on documents (non-null: the vault is then null)', async () => {
    const { body } = await api.gql(scene.doctor.token, 'query Q($id: ID!) { vault(id: $id) { vaultId documents(first: 500) { totalCount } } }', { id: scene.vaultId });
    assert.equal(body.data.vault, null);
    assert.deepEqual(body.errors[0].path, ['vault', 'documents']);
    assert.equal(body.errors[0].extensions.field, 'first');
  });

  test('a professional without basis is refused at vault, and the refusal is recorded', async () => {
    const { status, body } = await api.gql(scene.noBasis.token, DOCUMENTS, { id: scene.vaultId });
    assert.equal(status, 200);
    assert.equal(body.data.vault, null);
    assert.equal(body.errors[0].extensions.reason, 'NO_BASIS');
    const events = await eventsOf(scene.noBasis.rpps);
    assert.ok(events.length >= 1 && events.every((e) => !e.allowed && e.operation === 'vault.read'));
  });

  test('an operator reads the summary and is refused at documents only (both recorded, as before)', async () => {
    const { body } = await api.gql(scene.operator.token, DOCUMENTS, { id: scene.vaultId });
    assert.deepEqual(body.errors[0].path, ['vault', 'documents']);
    assert.equal(body.errors[0].extensions.code, 'FORBIDDEN');
    const summary = await api.ok(scene.operator.token, 'query Q($id: ID!) { vault(id: $id) { vaultId capabilities } }', { id: scene.vaultId });
    assert.equal(summary.vault.vaultId, scene.vaultId);
    assert.ok(!summary.vault.capabilities.includes('LIST_DOCUMENTS'));
    const events = await eventsOf('op-read-path');
    assert.ok(events.some((e) => e.operation === 'documents.list' && !e.allowed));
    assert.ok(events.some((e) => e.operation === 'vault.read' && e.allowed));
  });
});
