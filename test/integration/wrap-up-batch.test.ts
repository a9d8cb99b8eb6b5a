import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SimCall } from '../../src/sim/pbx/call-model.ts';
import { adminPut, type Bridge, startBridge } from '../support/bridge-harness.ts';

const UPDATE_MANY = 'PUT /api/v2/tickets/update_many';
const SINGLE_UPDATE = 'PUT /api/v2/tickets/{id}';

function ticketOf(bridge: Bridge, callId: string) {
  return bridge.zd.state.tickets().find((t) => t.external_id === `cti-bridge:${callId}`);
}

function factsCount(bridge: Bridge, callId: string): number {
  const ticket = ticketOf(bridge, callId);
  if (!ticket) return 0;
  return bridge.zd.state.comments(ticket.id).filter((c) => /Call facts/.test(c.body)).length;
}

const CALLERS = ['+4930123456', '+12125550100', '+4922133344', 'anonymous'];
const AGENTS = [
  { queue: 'support', member: '101' },
  { queue: 'support', member: '102' },
  { queue: 'sales', member: '201' },
] as const;

/** Calls that all end within about 100 ms of each other, as at a busy hour. */
function placeBurst(bridge: Bridge, count: number, extra: Partial<{ callerNum: string }>[] = []): SimCall[] {
  return Array.from({ length: count }, (_, i) => {
    const agent = AGENTS[i % AGENTS.length]!;
    return bridge.pbx.placeCall({
      queue: agent.queue,
      callerNum: extra[i]?.callerNum ?? CALLERS[i % CALLERS.length]!,
      script: [{ ring: agent.member, ms: 20, outcome: 'answer' }],
      talkMs: 400 - i * 10,
    });
  });
}

test('wrap-ups ending together share one update_many; each ticket gets its facts once; the backfill costs one request', async (t) => {
  const bridge = await startBridge({ profile: { wrapUpSeconds: 0 } });
  t.after(() => bridge.close());
  const hans = bridge.zd.state.users().find((u) => u.name === 'Hans Lokal')!;
  const unknown = '+4915112345678';
  const calls = placeBurst(bridge, 9, [{ callerNum: unknown }]);
  await bridge.waitFor(() => calls.every((c) => ticketOf(bridge, c.linkedid)), 'every ticket');
  const since = bridge.mark();
  // During the call the agent finds the customer behind the unknown number.
  await adminPut(bridge.zd, `/api/v2/tickets/${ticketOf(bridge, calls[0]!.linkedid)!.id}.json`, {
    ticket: { requester_id: hans.id },
  });
  await Promise.all(calls.map((c) => c.done));
  await bridge.waitFor(() => calls.every((c) => factsCount(bridge, c.linkedid) >= 1), 'every facts comment');
  await bridge.waitFor(
    () => bridge.zd.state.identities(hans.id).some((i) => i.value === unknown),
    'the backfilled number',
  );
  for (const call of calls)
    assert.equal(factsCount(bridge, call.linkedid), 1, `facts once on ${call.linkedid}`);

  // Less the admin's own PUT: what the bridge sent for the nine wrap-ups.
  const requests = since()
    .map((r) => r.endpoint)
    .slice(1);
  const count = (endpoint: string) => requests.filter((e) => e === endpoint).length;
  const seen = requests.join(', ');
  assert.equal(count(UPDATE_MANY), 1, `one batch: ${seen}`);
  // A quiet line sends the first wrap-ups at once; from the third in the window on they wait.
  assert.ok(count(SINGLE_UPDATE) <= 2, `at most the first two alone: ${seen}`);
  assert.equal(count('GET /api/v2/job_statuses/{id}'), 1, `the job read back once: ${seen}`);
  // The re-assigned call ended last, so it was in the batch: its requester came sideloaded.
  assert.equal(count('GET /api/v2/tickets/show_many'), 1, seen);
  assert.equal(count('GET /api/v2/users/{id}'), 0, `no user read: ${seen}`);
  assert.equal(count('GET /api/v2/users/{user_id}/identities'), 0, `no identities read: ${seen}`);
  assert.equal(count('POST /api/v2/users/{user_id}/identities'), 1, seen);
  assert.ok(requests.length <= 6, `${requests.length} requests for ${calls.length} wrap-ups: ${seen}`);
});

test('a batch Zendesk refuses (503) is tried again: every ticket gets its facts exactly once', async (t) => {
  const bridge = await startBridge({
    profile: { wrapUpSeconds: 0 },
    tuning: { retry: { firstMs: 200, maxMs: 1_000 } },
  });
  t.after(() => bridge.close());
  bridge.zd.faults.next({ status: 503 }, { endpoint: UPDATE_MANY, count: 1 });
  const calls = placeBurst(bridge, 8);
  await Promise.all(calls.map((c) => c.done));
  await bridge.waitFor(() => calls.every((c) => factsCount(bridge, c.linkedid) >= 1), 'every facts comment');
  for (const call of calls)
    assert.equal(factsCount(bridge, call.linkedid), 1, `facts once on ${call.linkedid}`);
  const refused = bridge.logged(/call facts not added to the tickets; each is tried again/);
  assert.equal(refused.length, 1);
  assert.equal(refused[0]!.level, 'error');
});

test('a closed ticket in a batch fails alone, named in the log; the others are saved', async (t) => {
  const bridge = await startBridge({ profile: { wrapUpSeconds: 0 } });
  t.after(() => bridge.close());
  const calls = placeBurst(bridge, 7);
  await bridge.waitFor(() => calls.every((c) => ticketOf(bridge, c.linkedid)), 'every ticket');
  // The first call ends last (longest talk), so it is in the batch.
  const closed = ticketOf(bridge, calls[0]!.linkedid)!;
  await adminPut(bridge.zd, `/api/v2/tickets/${closed.id}.json`, { ticket: { status: 'closed' } });
  await Promise.all(calls.map((c) => c.done));
  const others = calls.slice(1);
  await bridge.waitFor(() => others.every((c) => factsCount(bridge, c.linkedid) === 1), 'the other facts');
  await bridge.waitFor(
    () => bridge.logged(/call facts not added to the ticket$/).some((l) => l.ticketId === closed.id),
    'the error naming the closed ticket',
  );
  assert.equal(factsCount(bridge, calls[0]!.linkedid), 0);
  const line = bridge.logged(/call facts not added to the ticket$/).find((l) => l.ticketId === closed.id)!;
  assert.equal(line.callId, calls[0]!.linkedid);
  // Alone (a single PUT answered 422) or in a batch (the job's result): the reason is named.
  assert.match(JSON.stringify(line), /closed prevents ticket update/);
});

test('stopping sends the wrap-ups waiting for their batch at once', async (t) => {
  const bridge = await startBridge({ profile: { wrapUpSeconds: 0 } });
  t.after(() => bridge.close());
  const calls = placeBurst(bridge, 6);
  await Promise.all(calls.map((c) => c.done));
  // The first two ended on a quiet line and went alone; the others wait for the window (3 s).
  await bridge.waitFor(
    () => calls.filter((c) => factsCount(bridge, c.linkedid) === 1).length >= 2,
    'the first',
  );
  const waiting = calls.filter((c) => factsCount(bridge, c.linkedid) === 0);
  assert.ok(waiting.length >= 3, `${waiting.length} wrap-ups waiting for their batch`);
  await bridge.daemon.stop();
  for (const call of calls) assert.equal(factsCount(bridge, call.linkedid), 1, `facts on ${call.linkedid}`);
});
