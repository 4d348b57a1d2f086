// Issue 12, part 1: secure messaging over real HTTP. A professional with a basis starts a conversation with the person and
// writes; the person answers with a document attached; each reader sees the attachment as the vault decides for them (an
// attachment never widens access); both sides list their conversations; read receipts; blocks and no basis are FORBIDDEN with
// the vault's reason; every send and read is in the person's access history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, buildScene, accessHistory } from './harness.mjs';

const api = useServer();

const START = `mutation Start($input: StartConversationInput!) {
  startConversation(input: $input) { conversation { id conversationId vaultId subject noReply messageCount unreadCount participants { party kind displayName lastReadSequence } } userErrors { code field message } }
}`;
const SEND = `mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) { message { sequence type body senderKind attachments { documentId readable title } } userErrors { code field message } }
}`;
const MESSAGES = `query Messages($id: ID!, $first: Int, $after: String) {
  conversation(id: $id) { conversationId messageCount
    messages(first: $first, after: $after) {
      edges { cursor node { id sequence type body noReply senderKind senderParty convocation { at place }
        attachments { documentId readable title typeCode why { allowed reason message } } } }
      pageInfo { hasNextPage endCursor } } }
}`;
const MARK_READ = `mutation Read($input: MarkConversationReadInput!) {
  markConversationRead(input: $input) { conversation { unreadCount participants { kind lastReadSequence } } userErrors { code field message } }
}`;
const BLOCK_MESSAGING = `mutation Block($input: BlockMessagingInput!) { blockMessagingFrom(input: $input) { blockedParty userErrors { code field message } } }`;
const VAULT_CONVERSATIONS = `query Conversations($id: ID!) { vault(id: $id) { conversations(first: 10) { totalCount edges { cursor node { conversationId unreadCount participants { party kind } } } pageInfo { hasNextPage endCursor } } } }`;
const MY_CONVERSATIONS = `query Mine($first: Int) { myConversations(first: $first) { totalCount nodes { id conversationId vaultId } } }`;
const NODE = `query Node($id: ID!) { node(id: $id) { __typename ... on Conversation { conversationId } } }`;
const NOTIFICATIONS = `query Notifications($id: ID!) { vault(id: $id) { notifications(first: 20) { kind payload { __typename ... on MessageReceivedNotice { conversationId senderKind senderName messageType noReply } } } } }`;

const forbidden = (body, reason) => {
  assert.equal(body.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(body));
  assert.equal(body.errors[0].extensions.reason, reason, JSON.stringify(body));
  assert.ok(body.errors[0].message.length > 10, JSON.stringify(body));
};

const message = (body, extra = {}) => ({ type: 'FREE_TEXT', body, ...extra });

test('messaging: start, send, list, read with attachments decided per reader, receipts, history', async () => {
  const s = await buildScene(api);

  // The podiatrist (granted everything, but the matrix keeps delivery reports from podiatrists) writes to the person.
  const started = await api.ok(s.podiatrist.token, START, { input: { vaultId: s.vaultId, subject: 'Soins de pied', message: message('Bonjour, voici votre convocation', { type: 'CONVOCATION', convocation: { at: '2030-01-15T09:30:00Z', place: 'Cabinet, 2e étage' } }) } });
  assert.deepEqual(started.startConversation.userErrors, []);
  const conversation = started.startConversation.conversation;
  assert.equal(conversation.vaultId, s.vaultId);
  assert.equal(conversation.messageCount, 1);
  assert.equal(conversation.participants.find((p) => p.kind === 'PROFESSIONAL').displayName, `Professionnel ${s.podiatrist.rpps}`);

  // The person answers with the delivery report and the biology report attached.
  const sent = await api.ok(s.owner.token, SEND, { input: { conversationId: conversation.id, message: message('Voici mes documents', { attachmentIds: [s.docs.delivery.documentId, s.docs.health.documentId] }) } });
  assert.deepEqual(sent.sendMessage.userErrors, []);
  assert.equal(sent.sendMessage.message.sequence, 2);
  assert.equal(sent.sendMessage.message.senderKind, 'PERSON');

  // The podiatrist sees that the delivery report exists, not its title, with the vault's reason; the biology report in full.
  const seen = await api.ok(s.podiatrist.token, MESSAGES, { id: conversation.conversationId, first: 10 });
  const [answer, first] = seen.conversation.messages.edges.map((e) => e.node);
  assert.equal(first.convocation.place, 'Cabinet, 2e étage');
  const [delivery, health] = answer.attachments;
  assert.deepEqual({ readable: delivery.readable, title: delivery.title, typeCode: delivery.typeCode, allowed: delivery.why.allowed, reason: delivery.why.reason },
    { readable: false, title: null, typeCode: null, allowed: false, reason: 'PROFESSION_NOT_HABILITATED' });
  assert.equal(delivery.documentId, s.docs.delivery.documentId);
  assert.equal(health.readable, true);
  assert.equal(health.title, 'CR biologie');
  // The person sees both.
  const ownerSees = await api.ok(s.owner.token, MESSAGES, { id: conversation.id, first: 1 });
  assert.deepEqual(ownerSees.conversation.messages.edges[0].node.attachments.map((a) => a.readable), [true, true]);
  assert.equal(ownerSees.conversation.messages.pageInfo.hasNextPage, true);
  const older = await api.ok(s.owner.token, MESSAGES, { id: conversation.id, first: 1, after: ownerSees.conversation.messages.pageInfo.endCursor });
  assert.equal(older.conversation.messages.edges[0].node.sequence, 1);

  // Read receipts: the podiatrist read the answer.
  const read = await api.ok(s.podiatrist.token, MARK_READ, { input: { conversationId: conversation.id } });
  assert.equal(read.markConversationRead.conversation.unreadCount, 0);
  assert.equal(read.markConversationRead.conversation.participants.find((p) => p.kind === 'PROFESSIONAL').lastReadSequence, 2);

  // Both sides list it; node(id) resolves it; the person was notified without the text.
  const listed = await api.ok(s.owner.token, VAULT_CONVERSATIONS, { id: s.vaultId });
  assert.equal(listed.vault.conversations.totalCount, 1);
  assert.equal(listed.vault.conversations.edges[0].node.conversationId, conversation.conversationId);
  const mine = await api.ok(s.podiatrist.token, MY_CONVERSATIONS, { first: 5 });
  assert.deepEqual(mine.myConversations.nodes.map((c) => c.id), [conversation.id]);
  assert.equal((await api.ok(s.owner.token, NODE, { id: conversation.id })).node.conversationId, conversation.conversationId);
  const notices = (await api.ok(s.owner.token, NOTIFICATIONS, { id: s.vaultId })).vault.notifications.filter((n) => n.kind === 'MESSAGE_RECEIVED');
  assert.deepEqual(notices.map((n) => n.payload), [{ __typename: 'MessageReceivedNotice', conversationId: conversation.conversationId, senderKind: 'PROFESSIONAL',
    senderName: `Professionnel ${s.podiatrist.rpps}`, messageType: 'CONVOCATION', noReply: false }]);

  // A stranger reads nothing; the person's history shows every start, send and read.
  const { body: stranger } = await api.gql(s.noBasis.token, MESSAGES, { id: conversation.id });
  forbidden(stranger, 'NOT_PERMITTED');
  const history = await accessHistory(api, s.owner.token, s.vaultId);
  const target = `conversation:${conversation.conversationId}`;
  const ops = history.filter((e) => e.target === target && e.allowed).map((e) => e.operation);
  assert.ok(ops.includes('conversation.start') && ops.includes('message.send'), ops.join());
  assert.equal(ops.filter((o) => o === 'message.read').length, 3);
});

test('messaging: no basis, a block, a messaging block and bad input are refused with codes', async () => {
  const s = await buildScene(api);
  const input = { vaultId: s.vaultId, message: message('Bonjour') };

  forbidden((await api.gql(s.noBasis.token, START, { input })).body, 'NO_BASIS');
  forbidden((await api.gql(s.blocked.token, START, { input })).body, 'BLOCKED');
  forbidden((await api.gql(s.operator.token, START, { input })).body, 'NOT_PERMITTED');

  // Attaching what one may not read is refused: the podiatrist and the delivery report.
  forbidden((await api.gql(s.podiatrist.token, START, { input: { ...input, message: message('x', { attachmentIds: [s.docs.delivery.documentId] }) } })).body, 'PROFESSION_NOT_HABILITATED');

  const tooLong = await api.ok(s.doctor.token, START, { input: { ...input, message: message('a'.repeat(10_001)) } });
  assert.deepEqual(tooLong.startConversation.userErrors.map((e) => [e.code, e.field]), [['VALIDATION', 'message.body']]);
  const noReply = await api.ok(s.doctor.token, START, { input: { ...input, noReply: true } });
  assert.deepEqual(noReply.startConversation.userErrors.map((e) => [e.code, e.field]), [['VALIDATION', 'noReply']]);
  const { body: tooMany } = await api.gql(s.owner.token, VAULT_CONVERSATIONS.replace('first: 10', 'first: 51'), { id: s.vaultId });
  assert.equal(tooMany.errors?.[0]?.extensions?.code, 'VALIDATION', JSON.stringify(tooMany));

  // The doctor writes; the person blocks the doctor from messaging: the next message is refused, documents stay open.
  const started = await api.ok(s.doctor.token, START, { input });
  const conversationId = started.startConversation.conversation.conversationId;
  const blocked = await api.ok(s.owner.token, BLOCK_MESSAGING, { input: { vaultId: s.vaultId, rpps: s.doctor.rpps } });
  assert.deepEqual(blocked.blockMessagingFrom, { blockedParty: `rpps:${s.doctor.rpps}`, userErrors: [] });
  forbidden((await api.gql(s.doctor.token, SEND, { input: { conversationId, message: message('Encore') } })).body, 'MESSAGING_BLOCKED');
  const docs = await api.ok(s.doctor.token, `query V($id: ID!) { vault(id: $id) { documents(first: 5) { totalCount } } }`, { id: s.vaultId });
  assert.ok(docs.vault.documents.totalCount > 0);
  // Only the person's side blocks.
  forbidden((await api.gql(s.doctor.token, BLOCK_MESSAGING, { input: { vaultId: s.vaultId, rpps: s.podiatrist.rpps } })).body, 'NOT_PERMITTED');
  const bad = await api.ok(s.owner.token, SEND, { input: { conversationId: 'nope', message: message('x') } });
  assert.deepEqual(bad.sendMessage.userErrors.map((e) => [e.code, e.field]), [['VALIDATION', 'conversationId']]);
});

test('messaging: a professional who left keeps their list; one the person blocked finds it left out, not FORBIDDEN', async () => {
  const s = await buildScene(api);
  const LEAVE = `mutation Leave($input: ConversationRefInput!) { leaveConversation(input: $input) { conversation { conversationId } userErrors { code field message } } }`;
  const MINE = `query Mine { myConversations(first: 5) { totalCount nodes { conversationId participants { kind leftAt } } pageInfo { hasNextPage endCursor } } }`;

  // The podiatrist leaves: the list still answers, with their leftAt; the messages stay refused.
  const left = (await api.ok(s.podiatrist.token, START, { input: { vaultId: s.vaultId, message: message('Bonjour') } })).startConversation.conversation;
  assert.deepEqual((await api.ok(s.podiatrist.token, LEAVE, { input: { conversationId: left.id } })).leaveConversation.userErrors, []);
  const mine = (await api.ok(s.podiatrist.token, MINE)).myConversations;
  assert.deepEqual(mine.nodes.map((c) => c.conversationId), [left.conversationId]);
  assert.ok(mine.nodes[0].participants.find((p) => p.kind === 'PROFESSIONAL').leftAt);
  forbidden((await api.gql(s.podiatrist.token, MESSAGES, { id: left.id })).body, 'NOT_PERMITTED');

  // The doctor is blocked from messaging: the header is refused, and their list leaves the conversation out.
  const kept = (await api.ok(s.doctor.token, START, { input: { vaultId: s.vaultId, message: message('Bonjour') } })).startConversation.conversation;
  await api.ok(s.owner.token, BLOCK_MESSAGING, { input: { vaultId: s.vaultId, rpps: s.doctor.rpps } });
  forbidden((await api.gql(s.doctor.token, `query C($id: ID!) { conversation(id: $id) { subject } }`, { id: kept.id })).body, 'MESSAGING_BLOCKED');
  const blocked = (await api.ok(s.doctor.token, MINE)).myConversations;
  assert.deepEqual({ total: blocked.totalCount, nodes: blocked.nodes, more: blocked.pageInfo.hasNextPage }, { total: 1, nodes: [], more: false });
  assert.equal(blocked.pageInfo.endCursor, '1');
});
