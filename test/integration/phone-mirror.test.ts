import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { type FakeZendesk, ManualClock } from '../../src/sim/zendesk/index.ts';
import { adminPut, type Bridge, startBridge } from '../support/bridge-harness.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';

const POP = 'POST /api/v2/channels/voice/tickets';
const SEARCH = 'GET /api/v2/search';
const EXPORT = 'GET /api/v2/incremental/users/cursor';

/**
 * The daemon with `lookup.source: mirror` against the fake Zendesk on a manual clock, so the
 * export's one-minute rule is passed by advancing it. The mirror polls every 100 ms here, so
 * the fake's export limit is lifted (on a clock that stands still its minute never ends; the
 * limit and the 429s are tested in test/mirror and test/sim/zendesk).
 */
async function mirroredBridge(t: TestContext, prepare?: (zd: FakeZendesk) => void) {
  const clock = new ManualClock();
  const bridge = await startBridge({
    profile: { lookupSource: 'mirror', wrapUpSeconds: 0 },
    zendesk: { clock, exportRateLimitPerMinute: 1_000_000 },
    tuning: { mirror: { pollMs: 100, requestGapMs: 0 } },
    ...(prepare ? { prepareZendesk: prepare } : {}),
  });
  t.after(() => bridge.close());
  await bridge.waitFor(() => bridge.logged(/phone directory mirror loaded/).length === 1, 'the mirror');
  return { bridge, clock };
}

function ticketOf(bridge: Bridge, callId: string) {
  return bridge.zd.state.tickets().find((t) => t.external_id === `cti-bridge:${callId}`);
}

/** Two export requests after now: the first one's answer is applied before the second is sent. */
async function nextPoll(bridge: Bridge): Promise<void> {
  const from = bridge.zd.requests.length;
  await bridge.waitFor(
    () => bridge.zd.requests.slice(from).filter((r) => r.endpoint === EXPORT && r.status === 200).length >= 2,
    'a poll of the mirror',
  );
}

async function adminPost(bridge: Bridge, path: string, body: unknown): Promise<{ id: number }> {
  const auth = Buffer.from(`admin@example.com/token:${TEST_SECRETS.zendeskApiToken}`).toString('base64');
  const response = await fetch(`${bridge.zd.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return ((await response.json()) as { user: { id: number } }).user;
}

test('a first-time known caller gets the right requester without a search; an unknown caller neither', async (t) => {
  const { bridge } = await mirroredBridge(t);
  const erika = bridge.userByEmail('erika.mustermann@example.com');
  const defaultUser = bridge.userByEmail('unknown.caller@example.com');
  const since = bridge.mark();
  const known = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4930123456', talkMs: 50 });
  await bridge.waitFor(() => ticketOf(bridge, known.linkedid) !== undefined, 'the ticket');
  assert.equal(ticketOf(bridge, known.linkedid)?.requester_id, erika.id);
  const unknown = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4915112345678', talkMs: 50 });
  await bridge.waitFor(() => ticketOf(bridge, unknown.linkedid) !== undefined, 'the second ticket');
  assert.equal(ticketOf(bridge, unknown.linkedid)?.requester_id, defaultUser.id);
  const sent = since().map((r) => r.endpoint);
  assert.equal(sent.filter((e) => e === SEARCH).length, 0, 'no search at all');
  assert.equal(sent.filter((e) => e === POP).length, 2);
  const lookedUp = bridge.logged(/^caller looked up$/);
  assert.deepEqual(
    lookedUp.map((r) => [r.known, r.cached]),
    [
      [true, true],
      [false, true],
    ],
  );
  assert.equal(
    bridge.logged(/phone directory mirror loaded/)[0]?.numbers,
    7,
    'the lab account’s seven numbers',
  );
});

test('a user created in Zendesk after the start is found after the next poll, once a minute old', async (t) => {
  const { bridge, clock } = await mirroredBridge(t);
  const nina = await adminPost(bridge, '/api/v2/users.json', {
    user: { name: 'Nina Neu', phone: '+49 30 5550123' },
  });
  clock.advance(61_000);
  await nextPoll(bridge);
  const since = bridge.mark();
  const call = bridge.pbx.placeCall({ queue: 'support', callerNum: '+49305550123', talkMs: 50 });
  await bridge.waitFor(() => ticketOf(bridge, call.linkedid) !== undefined, 'the ticket');
  assert.equal(ticketOf(bridge, call.linkedid)?.requester_id, nina.id);
  assert.ok(!since().some((r) => r.endpoint === SEARCH), 'found in the mirror, not by a search');
});

test('backfill with the mirror: only the POST of the number; the next call finds the customer at once', async (t) => {
  const { bridge } = await mirroredBridge(t, (zd) => {
    zd.addUser({ name: 'Carla Kundin', role: 'end-user', email: 'carla.kundin@example.com' });
  });
  const carla = bridge.userByEmail('carla.kundin@example.com');
  const first = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4915112345678', talkMs: 300 });
  await bridge.waitFor(() => ticketOf(bridge, first.linkedid) !== undefined, 'the first ticket');
  const since = bridge.mark();
  // The agent finds the right customer (no phone number yet) during the call.
  await adminPut(bridge.zd, `/api/v2/tickets/${ticketOf(bridge, first.linkedid)!.id}.json`, {
    ticket: { requester_id: carla.id },
  });
  await first.done;
  await bridge.waitFor(
    () => bridge.zd.state.identities(carla.id).some((i) => i.value === '+4915112345678'),
    'the backfilled number',
  );
  await bridge.waitFor(() => bridge.logged(/number added to the customer/).length === 1, 'the backfill line');
  const byBridge = since()
    .map((r) => r.endpoint)
    .filter((e) => e !== EXPORT && e !== 'PUT /api/v2/tickets/{id}');
  assert.deepEqual(byBridge, ['POST /api/v2/users/{user_id}/identities'], 'no GET user, no GET identities');
  const next = bridge.mark();
  const second = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4915112345678', talkMs: 50 });
  await bridge.waitFor(() => ticketOf(bridge, second.linkedid) !== undefined, 'the second ticket');
  assert.equal(ticketOf(bridge, second.linkedid)?.requester_id, carla.id);
  assert.ok(!next().some((r) => r.endpoint === SEARCH));
});

test('re-assigned to a user made agent after the sync: the mirror knows, no number is added and nothing is read', async (t) => {
  const { bridge, clock } = await mirroredBridge(t, (zd) => {
    zd.addUser({ name: 'Lena Lotse', role: 'end-user', email: 'lena.lotse@example.com' });
  });
  const lena = bridge.userByEmail('lena.lotse@example.com');
  // Lena becomes an agent after the start-up sync: only the mirror's next poll tells the bridge.
  await adminPut(bridge.zd, `/api/v2/users/${lena.id}.json`, { user: { role: 'agent' } });
  clock.advance(61_000);
  await nextPoll(bridge);
  const call = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4915112345678', talkMs: 300 });
  await bridge.waitFor(() => ticketOf(bridge, call.linkedid) !== undefined, 'the ticket');
  const since = bridge.mark();
  await adminPut(bridge.zd, `/api/v2/tickets/${ticketOf(bridge, call.linkedid)!.id}.json`, {
    ticket: { requester_id: lena.id },
  });
  await call.done;
  await bridge.waitFor(
    () => since().some((r) => r.endpoint === 'PUT /api/v2/tickets/{id}' && r.status === 200),
    'the wrap-up comment',
  );
  await nextPoll(bridge);
  assert.deepEqual(
    since()
      .map((r) => r.endpoint)
      .filter((e) => e !== EXPORT && e !== 'PUT /api/v2/tickets/{id}'),
    [],
    'neither a read nor a POST',
  );
  assert.equal(
    bridge.zd.state.identities(lena.id).some((i) => i.type === 'phone_number'),
    false,
  );
});
