import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminPut, type Bridge, startBridge } from '../support/bridge-harness.ts';

const POP = 'POST /api/v2/channels/voice/tickets';
const SEARCH = 'GET /api/v2/search';

function ticketsOf(bridge: Bridge, callId: string) {
  return bridge.zd.state.tickets().filter((t) => t.external_id === `cti-bridge:${callId}`);
}

test('known caller: looked up on queue entry, ticket created and popped on the agent screen', async (t) => {
  const bridge = await startBridge();
  t.after(() => bridge.close());
  const anna = bridge.userByEmail('anna.agent@example.com');
  const erika = bridge.userByEmail('erika.mustermann@example.com');
  const since = bridge.mark();
  const call = bridge.pbx.placeCall({
    queue: 'support',
    callerNum: '+4930123456',
    callerName: 'Erika Mustermann',
  });
  await bridge.waitFor(() => bridge.zd.pops.length === 1, 'the pop');
  assert.deepEqual(
    since().map((r) => r.endpoint),
    [SEARCH, POP],
  );
  const [ticket] = ticketsOf(bridge, call.linkedid);
  assert.equal(ticket?.requester_id, erika.id);
  assert.equal(ticket?.assignee_id, anna.id);
  assert.equal(ticket?.group_id, bridge.zd.state.groups().find((g) => g.name === 'Support')?.id);
  assert.equal(ticket?.subject, 'Call from +4930123456');
  assert.deepEqual(
    bridge.zd.pops.map((p) => [p.agentId, p.id]),
    [[anna.id, ticket?.id]],
  );
  // The fake records the pop before it answers; the bridge logs once the answer is in.
  await bridge.waitFor(() => bridge.logged(/opened on the agent's screen/).length === 1, 'the log line');
  const line = bridge.logged(/opened on the agent's screen/)[0];
  assert.equal(line?.callId, call.linkedid);
  assert.equal(line?.agent, 'Anna Agent');
});

test('withheld and missing caller IDs: no search, the default user is the requester', async (t) => {
  const bridge = await startBridge();
  t.after(() => bridge.close());
  const defaultUser = bridge.userByEmail('unknown.caller@example.com');
  const since = bridge.mark();
  const withheld = bridge.pbx.placeCall({ queue: 'support', callerNum: 'anonymous' });
  const missing = bridge.pbx.placeCall({ queue: 'support', callerNum: '<unknown>' });
  await bridge.waitFor(() => bridge.zd.pops.length === 2, 'two pops');
  assert.ok(!since().some((r) => r.endpoint === SEARCH), 'nothing searched');
  for (const call of [withheld, missing]) {
    assert.equal(ticketsOf(bridge, call.linkedid)[0]?.requester_id, defaultUser.id);
  }
});

test('an abandoned call makes no ticket; a call in an unconfigured queue is ignored', async (t) => {
  const bridge = await startBridge({ profile: { queues: { support: {} } } });
  t.after(() => bridge.close());
  const since = bridge.mark();
  const abandoned = bridge.pbx.placeCall({
    queue: 'support',
    callerNum: '+4915112345678',
    script: [{ ring: '101', ms: 2_000, outcome: 'noanswer' }],
    abandonAfterMs: 50,
  });
  const elsewhere = bridge.pbx.placeCall({ queue: 'sales', callerNum: '+12125550100' });
  await Promise.all([abandoned.done, elsewhere.done]);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(
    since().map((r) => r.endpoint),
    [SEARCH],
    'only the abandoned caller was looked up',
  );
  assert.equal(bridge.zd.state.tickets().length, 0);
  assert.equal(bridge.logged(/abandoned/).length, 1);
});

test('agent answers while a slow Zendesk is still searching: the answer waits, no fallback', async (t) => {
  const bridge = await startBridge();
  t.after(() => bridge.close());
  bridge.zd.faults.latency(400, SEARCH);
  const erika = bridge.userByEmail('erika.mustermann@example.com');
  const call = bridge.pbx.placeCall({
    queue: 'support',
    callerNum: '+4930123456',
    script: [{ ring: '101', ms: 30, outcome: 'answer' }],
  });
  await bridge.waitFor(() => bridge.zd.pops.length === 1, 'the pop');
  assert.equal(ticketsOf(bridge, call.linkedid)[0]?.requester_id, erika.id);
});

test('a lookup slower than the wait bound: unknown caller, said at WARN', async (t) => {
  const bridge = await startBridge({ profile: { answerWaitMs: 100 } });
  t.after(() => bridge.close());
  bridge.zd.faults.latency(600, SEARCH);
  const call = bridge.pbx.placeCall({
    queue: 'support',
    callerNum: '+4930123456',
    script: [{ ring: '101', ms: 10, outcome: 'answer' }],
  });
  await bridge.waitFor(() => bridge.zd.pops.length === 1, 'the pop');
  assert.equal(
    ticketsOf(bridge, call.linkedid)[0]?.requester_id,
    bridge.userByEmail('unknown.caller@example.com').id,
  );
  assert.equal(bridge.logged(/still running at answer/, 'warn')[0]?.callId, call.linkedid);
});

test('ambiguous number: unknown caller, the ambiguity logged with the user ids', async (t) => {
  const bridge = await startBridge();
  t.after(() => bridge.close());
  const call = bridge.pbx.placeCall({ queue: 'support', callerNum: '+49405550000' });
  await bridge.waitFor(() => bridge.zd.pops.length === 1, 'the pop');
  assert.equal(
    ticketsOf(bridge, call.linkedid)[0]?.requester_id,
    bridge.userByEmail('unknown.caller@example.com').id,
  );
  const warn = bridge.logged(/several Zendesk users have this number/, 'warn')[0];
  assert.deepEqual((warn?.userIds as number[] | undefined)?.length, 2);
});

test('national-format caller number is normalised with the default country', async (t) => {
  const bridge = await startBridge();
  t.after(() => bridge.close());
  const call = bridge.pbx.placeCall({ queue: 'support', callerNum: '030123456' });
  await bridge.waitFor(() => bridge.zd.pops.length === 1, 'the pop');
  assert.equal(
    ticketsOf(bridge, call.linkedid)[0]?.requester_id,
    bridge.userByEmail('erika.mustermann@example.com').id,
  );
});

test('unmapped agent: ticket unassigned, nothing popped, WARN naming the member', async (t) => {
  const bridge = await startBridge({ profile: { userEmails: { '101': 'nobody@example.com' } } });
  t.after(() => bridge.close());
  const call = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4930123456' });
  await bridge.waitFor(() => ticketsOf(bridge, call.linkedid).length === 1, 'the ticket');
  assert.equal(ticketsOf(bridge, call.linkedid)[0]?.assignee_id ?? null, null);
  assert.equal(bridge.zd.pops.length, 0);
  assert.equal(bridge.logged(/not mapped to a Zendesk agent/, 'warn')[0]?.member, 'Anna Agent');
  assert.ok(bridge.logged(/no Zendesk agent of that email/, 'warn').length > 0, 'the sync said so too');
});

test('re-assigned unknown caller: after wrap-up the number joins the customer; the next call is recognised', async (t) => {
  const bridge = await startBridge({ profile: { wrapUpSeconds: 0 } });
  t.after(() => bridge.close());
  const hans = bridge.zd.state.users().find((u) => u.name === 'Hans Lokal')!;
  const first = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4915112345678', talkMs: 300 });
  await bridge.waitFor(() => ticketsOf(bridge, first.linkedid).length === 1, 'the first ticket');
  // The agent finds the right customer during the call and makes them the requester.
  await adminPut(bridge.zd, `/api/v2/tickets/${ticketsOf(bridge, first.linkedid)[0]!.id}.json`, {
    ticket: { requester_id: hans.id },
  });
  await first.done;
  await bridge.waitFor(
    () => bridge.zd.state.identities(hans.id).some((i) => i.value === '+4915112345678'),
    'the backfilled identity',
  );
  const facts = bridge.zd.state.comments(ticketsOf(bridge, first.linkedid)[0]!.id).at(-1);
  assert.match(String(facts?.body), /Call facts[\s\S]*Talked:/);
  assert.equal(facts?.public, false);

  // Zendesk's search would not know yet (index lag); the cache does.
  const since = bridge.mark();
  const second = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4915112345678' });
  await bridge.waitFor(() => ticketsOf(bridge, second.linkedid).length === 1, 'the second ticket');
  assert.equal(ticketsOf(bridge, second.linkedid)[0]?.requester_id, hans.id);
  assert.deepEqual(
    since().map((r) => r.endpoint),
    [POP],
    'a cached caller costs exactly one request',
  );
});

test('newUser strategy: a user named after the number, found again at once despite search lag', async (t) => {
  const bridge = await startBridge({ profile: { strategy: 'newUser' } });
  t.after(() => bridge.close());
  const first = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4917700000001' });
  await bridge.waitFor(() => ticketsOf(bridge, first.linkedid).length === 1, 'the first ticket');
  const created = bridge.zd.state.users().find((u) => u.name === 'Caller +4917700000001');
  assert.ok(created, 'user created');
  assert.equal(ticketsOf(bridge, first.linkedid)[0]?.requester_id, created.id);
  const second = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4917700000001' });
  await bridge.waitFor(() => ticketsOf(bridge, second.linkedid).length === 1, 'the second ticket');
  assert.equal(ticketsOf(bridge, second.linkedid)[0]?.requester_id, created.id);
  assert.equal(bridge.zd.state.users().filter((u) => u.name === 'Caller +4917700000001').length, 1);
});

test('Zendesk refusing the ticket (422) is logged clearly with the call id', async (t) => {
  const bridge = await startBridge();
  t.after(() => bridge.close());
  // Twice: the first 422 makes the bridge retry without the pop (display_to_agent refused).
  bridge.zd.faults.next({ status: 422 }, { endpoint: POP, count: 2 });
  const call = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4930123456' });
  await bridge.waitFor(() => bridge.logged(/no ticket for this call/).length === 1, 'the error line');
  const line = bridge.logged(/no ticket for this call/)[0]!;
  assert.equal(line.level, 'error');
  assert.equal(line.callId, call.linkedid);
  assert.match(JSON.stringify(line.err), /422/);
});

test('profile deactivated mid-call: the ticket in flight finishes, later calls are not handled', async (t) => {
  const bridge = await startBridge({ profile: { wrapUpSeconds: 30 } });
  t.after(() => bridge.close());
  const call = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4930123456', talkMs: 50 });
  await bridge.waitFor(() => bridge.zd.pops.length === 1, 'the pop');
  await call.done;
  const { deactivateProfile } = await import('../../src/config/activation.ts');
  await deactivateProfile(bridge.configDir, 'main');
  await bridge.daemon.reload();
  // The pending wrap-up ran at stop instead of after its 30 s.
  const ticketId = ticketsOf(bridge, call.linkedid)[0]!.id;
  assert.match(String(bridge.zd.state.comments(ticketId).at(-1)?.body), /Call facts/);
  const since = bridge.mark();
  const later = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4930123456' });
  await later.done;
  assert.deepEqual(since(), []);
});
