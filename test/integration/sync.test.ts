import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { writeSyncRequest } from '../../src/daemon/admin-requests.ts';
import type { FakeZendesk } from '../../src/sim/zendesk/index.ts';
import { adminPut, type Bridge, startBridge, waitFor } from '../support/bridge-harness.ts';

const USERS = 'GET /api/v2/users';
const SEARCH = 'GET /api/v2/search';
const ADD_IDENTITY = 'POST /api/v2/users/{user_id}/identities';
const LIST_IDENTITIES = 'GET /api/v2/users/{user_id}/identities';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function ticketsOf(zd: FakeZendesk, callId: string) {
  return zd.state.tickets().filter((t) => t.external_id === `cti-bridge:${callId}`);
}

test('`cti-bridge sync`: the request file makes the running daemon sync again, and is removed', async (t) => {
  const bridge = await startBridge({ profile: { queues: { support: { group: 'Hotline' }, sales: {} } } });
  t.after(() => bridge.close());
  assert.equal(bridge.logged(/sync started/).length, 1);
  assert.deepEqual(bridge.logged(/queues with no Zendesk group/, 'warn')[0]?.queues, ['support → "Hotline"']);
  // An admin creates the missing group; the next sync must pick it up.
  const hotline = bridge.zd.addGroup({ name: 'Hotline' });

  const file = await writeSyncRequest(bridge.configDir);
  assert.ok(existsSync(file));
  await bridge.daemon.reload();
  assert.equal(existsSync(file), false, 'the request was taken');
  assert.equal(bridge.logged(/sync started/, 'info').length, 2);
  assert.equal(bridge.logged(/sync finished/, 'info').length, 2);
  assert.equal(bridge.logged(/sync requested/, 'info')[0]?.origin, '`cti-bridge sync`');
  assert.equal(bridge.logged(/queues with no Zendesk group/).length, 1, 'the second sync matched it');

  const call = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4930123456' });
  await bridge.waitFor(() => ticketsOf(bridge.zd, call.linkedid).length === 1, 'the ticket');
  assert.equal(ticketsOf(bridge.zd, call.linkedid)[0]?.group_id, hotline.id);

  // A reload without a request is no sync.
  await bridge.daemon.reload();
  assert.equal(bridge.logged(/sync started/).length, 2);
});

test('a failed start-up sync: ERROR, calls kept, handled once `cti-bridge sync` succeeds', async (t) => {
  // listAgents tries three times (retries: 2): fail them all.
  const bridge = await startBridge({
    prepareZendesk: (zd) => zd.faults.next({ status: 503, count: 3, endpoint: USERS }),
    waitForSync: false,
    profile: { wrapUpSeconds: 0 },
  });
  t.after(() => bridge.close());
  await waitFor(() => bridge.logged(/sync failed/).length === 1, 'the failed sync', 5_000);
  const failed = bridge.logged(/sync failed/)[0]!;
  assert.equal(failed.level, 'error');
  assert.equal(failed.ns, 'sync');
  assert.equal(failed.retryInMs, 30_000);
  assert.match(JSON.stringify(failed.err), /503/);
  assert.equal(bridge.logged(/sync finished/).length, 0);
  assert.equal(bridge.zd.faults.pending(), 0, 'the fault is used up');

  // Calls while the bridge does not know its agents yet.
  const answered = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4930123456', talkMs: 30 });
  const abandoned = bridge.pbx.placeCall({
    queue: 'sales',
    callerNum: '+12125550100',
    script: [],
    abandonAfterMs: 30,
  });
  await Promise.all([answered.done, abandoned.done]);
  await sleep(50);
  assert.equal(bridge.zd.state.tickets().length, 0, 'nothing handled before a sync succeeded');
  assert.equal(bridge.zd.countByEndpoint()[SEARCH] ?? 0, 0, 'not even looked up');

  await writeSyncRequest(bridge.configDir);
  await bridge.daemon.reload();
  assert.equal(bridge.logged(/sync finished/).length, 1);
  await waitFor(() => bridge.zd.pops.length === 1, 'the kept call’s pop');
  const ticket = ticketsOf(bridge.zd, answered.linkedid)[0]!;
  assert.equal(ticket.requester_id, bridge.zd.state.userByEmail('erika.mustermann@example.com')?.id);
  assert.equal(ticket.assignee_id, bridge.zd.state.userByEmail('anna.agent@example.com')?.id);
  assert.deepEqual(
    bridge.zd.pops.map((p) => [p.agentId, p.id]),
    [[ticket.assignee_id, ticket.id]],
  );
  // Its end was kept too: the wrap-up ran.
  await waitFor(
    () => bridge.zd.state.comments(ticket.id).some((c) => /Call facts/.test(String(c.body))),
    'the call facts',
  );
  assert.equal(ticketsOf(bridge.zd, abandoned.linkedid).length, 0, 'the abandoned call made no ticket');
  assert.equal(bridge.logged(/caller abandoned in queue/)[0]?.callId, abandoned.linkedid);
});

/** An unknown caller whose ticket the agent gives to `toUserId` during the call. */
async function reassignedCall(bridge: Bridge, toUserId: number) {
  const call = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4915112345678', talkMs: 300 });
  await bridge.waitFor(() => ticketsOf(bridge.zd, call.linkedid).length === 1, 'the ticket');
  const ticket = ticketsOf(bridge.zd, call.linkedid)[0]!;
  assert.equal(ticket.requester_id, bridge.userByEmail('unknown.caller@example.com').id);
  await adminPut(bridge.zd, `/api/v2/tickets/${ticket.id}.json`, { ticket: { requester_id: toUserId } });
  await call.done;
  await bridge.waitFor(
    () => bridge.zd.state.comments(ticket.id).some((c) => /Call facts/.test(String(c.body))),
    'the call facts',
  );
  return ticket;
}

const hasNumber = (bridge: Bridge, userId: number) =>
  bridge.zd.state.identities(userId).some((i) => i.value.replace(/\D/g, '') === '4915112345678');

test('ticket re-assigned to another agent: no identity added to the agent', async (t) => {
  const bridge = await startBridge({ profile: { wrapUpSeconds: 0 } });
  t.after(() => bridge.close());
  const ben = bridge.userByEmail('ben.berger@example.com');
  const since = bridge.mark();
  await reassignedCall(bridge, ben.id);
  await bridge.waitFor(
    () => bridge.logged(/re-assigned to an agent or the default user/).length === 1,
    'the note',
  );
  assert.equal(bridge.logged(/re-assigned to an agent or the default user/)[0]?.userId, ben.id);
  assert.equal(hasNumber(bridge, ben.id), false);
  assert.ok(!since().some((r) => r.endpoint === ADD_IDENTITY), 'no identity request at all');
});

test('ticket re-assigned to an agent created after the last sync: still no identity', async (t) => {
  const bridge = await startBridge({ profile: { wrapUpSeconds: 0 } });
  t.after(() => bridge.close());
  const lena = bridge.zd.addUser({ name: 'Lena Late', role: 'agent', email: 'lena.late@example.com' });
  const since = bridge.mark();
  await reassignedCall(bridge, lena.id);
  // The bridge reads the user (the sync did not know her) and sees an agent.
  const read = (r: { endpoint: string; status: number | null }) =>
    r.endpoint === LIST_IDENTITIES && r.status === 200;
  await bridge.waitFor(() => since().some(read), 'the user read');
  await sleep(50);
  assert.equal(hasNumber(bridge, lena.id), false);
  assert.ok(!since().some((r) => r.endpoint === ADD_IDENTITY), 'no identity request at all');
});
