import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { activateProfile } from '../../src/config/activation.ts';
import type { OpsServer } from '../../src/ops/ops-server.ts';
import type { StatusReport } from '../../src/ops/status-report.ts';
import { ManualClock } from '../../src/sim/zendesk/clock.ts';
import { type Bridge, startBridge } from '../support/bridge-harness.ts';
import { parseMetrics, sampleSum, sampleValue } from '../support/metrics-text.ts';
import { TEST_SECRET_ENV, TEST_SECRETS } from '../support/test-secrets.ts';

const POP = 'POST /api/v2/channels/voice/tickets';
const ANY_PORT = { address: '127.0.0.1', port: 0 };
/** The fake account's requests per minute in the metrics test. */
const BUDGET = 100;

/**
 * Requests of another client of the account (as an admin's script would make them) until the
 * fake's minute budget is spent; returns them, so the bridge's own requests can be told apart.
 */
async function spendBudget(bridge: Bridge): Promise<Set<unknown>> {
  const auth = Buffer.from(`admin@example.com/token:${TEST_SECRETS.zendeskApiToken}`).toString('base64');
  const from = bridge.zd.requests.length;
  for (let i = 0; i < BUDGET; i++) {
    const response = await fetch(`${bridge.zd.url}/api/v2/groups`, {
      headers: { authorization: `Basic ${auth}` },
    });
    await response.arrayBuffer();
    if (response.headers.get('x-rate-limit-remaining') === '0') break;
  }
  return new Set(bridge.zd.requests.slice(from));
}

async function get(ops: OpsServer | undefined, route: string, method = 'GET') {
  const address = ops?.address;
  if (!address) throw new Error('the operations listener is not listening');
  const response = await fetch(`http://${address.address}:${address.port}${route}`, { method });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type') ?? '', text };
}

async function readyz(bridge: Bridge) {
  const answer = await get(bridge.ops, '/readyz');
  return {
    status: answer.status,
    ...(JSON.parse(answer.text) as { ready: boolean; notReady: Array<{ check: string; reason: string }> }),
  };
}

/** Polls /readyz (every 5 ms, bounded) until `check` holds; returns that answer. */
async function readyzUntil(
  bridge: Bridge,
  check: (r: Awaited<ReturnType<typeof readyz>>) => boolean,
  what: string,
) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const answer = await readyz(bridge);
    if (check(answer)) return answer;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(answer)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('healthz and readyz: idle → running → AMI link dropped → back; a failing Zendesk is named', async (t) => {
  const bridge = await startBridge({
    ops: { listen: ANY_PORT },
    profile: { active: false },
    waitForSync: false,
  });
  t.after(() => bridge.close());

  const idleHealth = await get(bridge.ops, '/healthz');
  assert.equal(idleHealth.status, 200);
  assert.deepEqual(JSON.parse(idleHealth.text), { ok: true, state: 'idle' });
  const idle = await readyz(bridge);
  assert.equal(idle.status, 503);
  assert.deepEqual(idle.notReady, [{ check: 'profile', reason: 'no active profile' }]);

  await activateProfile(bridge.configDir, 'main', { env: TEST_SECRET_ENV });
  await bridge.daemon.reload();
  const running = await readyzUntil(bridge, (r) => r.status === 200, 'ready after activation');
  assert.deepEqual(running, { status: 200, ready: true, notReady: [] });
  assert.deepEqual(JSON.parse((await get(bridge.ops, '/healthz')).text), { ok: true, state: 'running' });

  // The link is cut; the client is down for its first backoff (0.5 s), then logs in again.
  bridge.pbx.dropConnections();
  const cut = await readyzUntil(bridge, (r) => r.status === 503, 'not ready after the cut');
  assert.deepEqual(
    cut.notReady.map((n) => n.check),
    ['ami'],
  );
  assert.match(cut.notReady[0]!.reason, /AMI link to 127\.0\.0\.1:\d+ is (down|connecting), not logged in/);
  await readyzUntil(bridge, (r) => r.status === 200, 'ready after the reconnect');
  const metrics = parseMetrics((await get(bridge.ops, '/metrics')).text);
  assert.equal(sampleValue(metrics, 'cti_bridge_ami_reconnects_total'), 1);
  assert.equal(sampleValue(metrics, 'cti_bridge_ami_up', { profile: 'main' }), 1);

  // Zendesk answers 503 to everything: the next request (a caller lookup) fails, readiness says so.
  bridge.zd.faults.window({ mode: 503, forMs: 60_000 });
  bridge.pbx.placeCall({
    queue: 'support',
    callerNum: '+4930123456',
    script: [{ ring: '101', ms: 2_000, outcome: 'noanswer' }],
    abandonAfterMs: 100,
  });
  const failing = await readyzUntil(bridge, (r) => r.status === 503, 'not ready while Zendesk fails');
  assert.deepEqual(
    failing.notReady.map((n) => n.check),
    ['zendesk'],
  );
  assert.match(failing.notReady[0]!.reason, /the last Zendesk request failed: GET \/api\/v2\/search → 503/);
  bridge.zd.faults.clear();
  await bridge.daemon.requestSync();
  await readyzUntil(bridge, (r) => r.status === 200, 'ready once Zendesk answers again');
  process.stdout.write(
    `readiness: idle 503 (profile), running 200, cut 503 (ami: ${cut.notReady[0]!.reason}), zendesk 503 (${failing.notReady[0]!.reason}), back 200\n`,
  );
});

test('metrics after real calls: tickets, abandoned, ignored, a 429 from the rate limit, pop latency, cache hits', async (t) => {
  // The fake's clock stands still unless moved: every request of the set-up falls in one minute.
  const clock = new ManualClock(Date.parse('2026-11-22T09:00:10.000Z'));
  const bridge = await startBridge({
    ops: { listen: ANY_PORT },
    zendesk: { clock, rateLimitPerMinute: BUDGET },
    profile: { queues: { support: {} } },
  });
  t.after(() => bridge.close());

  const known = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4930123456' });
  await bridge.waitFor(() => bridge.zd.pops.length === 1, 'the first pop');
  const abandoned = bridge.pbx.placeCall({
    queue: 'support',
    callerNum: '+4915112345678',
    script: [{ ring: '101', ms: 2_000, outcome: 'noanswer' }],
    abandonAfterMs: 50,
  });
  const ignored = bridge.pbx.placeCall({ queue: 'sales', callerNum: '+12125550100' });
  await Promise.all([known.done, abandoned.done, ignored.done]);
  // The known caller again: answered from the cache.
  bridge.pbx.placeCall({ queue: 'support', callerNum: '+4930123456' });
  await bridge.waitFor(() => bridge.zd.pops.length === 2, 'the second pop');

  // Another client of the same account spends what is left of this minute's budget, 0.5 s before
  // the minute ends. The bridge's next request, a new caller's lookup, meets the 429 (Retry-After 1).
  clock.set(Date.parse('2026-11-22T09:00:59.500Z'));
  const spent = await spendBudget(bridge);
  bridge.pbx.placeCall({ queue: 'support', callerNum: '+4922133344' });
  await bridge.waitFor(() => bridge.zd.requests.some((r) => r.status === 429), 'a 429', 10_000);
  clock.advance(60_000);
  await bridge.waitFor(() => bridge.zd.pops.length === 3, 'the pop after the 429', 10_000);
  // Settled: every request the fake saw has been answered and counted.
  await bridge.waitFor(
    () => bridge.logged(/opened on the agent's screen/).length === 3,
    'three pops logged',
    10_000,
  );
  // The bridge's requests, OAuth token refreshes included; not the other client's.
  const seen = bridge.zd.requests.filter((r) => !spent.has(r));
  assert.ok(
    seen.some((r) => r.endpoint === 'POST /oauth/tokens'),
    'the start-up refreshed the OAuth token (the test profile uses OAuth)',
  );

  const page = await get(bridge.ops, '/metrics');
  assert.equal(page.status, 200);
  assert.match(page.type, /^text\/plain; version=0\.0\.4/);
  const m = parseMetrics(page.text);
  assert.ok(
    m.every((s) => s.name.startsWith('cti_bridge_')),
    'every metric is prefixed cti_bridge_',
  );
  const calls = (outcome: string) => sampleValue(m, 'cti_bridge_calls_total', { outcome });
  assert.deepEqual(['ticket', 'abandoned', 'ignored', 'failed'].map(calls), [3, 1, 1, 0]);
  assert.equal(sampleValue(m, 'cti_bridge_pop_latency_seconds_count'), 3);
  const popSeconds = sampleValue(m, 'cti_bridge_pop_latency_seconds_sum')!;
  assert.ok(popSeconds > 0 && popSeconds < 30, `pop latency sum ${popSeconds} s`);
  assert.equal(sampleValue(m, 'cti_bridge_lookup_cache_total', { result: 'hit' }), 1);
  assert.equal(sampleValue(m, 'cti_bridge_lookup_cache_total', { result: 'miss' }), 3);
  const refused = seen.filter((r) => r.status === 429).length;
  assert.ok(refused >= 1);
  assert.equal(sampleValue(m, 'cti_bridge_zendesk_rate_limited_total'), refused);
  assert.equal(
    sampleSum(m, 'cti_bridge_zendesk_requests_total'),
    seen.length,
    'every request on the wire counted',
  );
  assert.equal(
    sampleSum(
      m.filter((s) => s.labels.status === '429'),
      'cti_bridge_zendesk_requests_total',
    ),
    refused,
  );
  assert.equal(
    sampleValue(m, 'cti_bridge_zendesk_requests_total', { endpoint: POP, status: '201' }),
    seen.filter((r) => r.endpoint === POP && r.status === 201).length,
  );
  assert.equal(sampleSum(m, 'cti_bridge_zendesk_request_duration_seconds_count'), seen.length);
  assert.equal(sampleValue(m, 'cti_bridge_profile_running'), 1);
  assert.equal(sampleValue(m, 'cti_bridge_ready'), 1);
  assert.equal(sampleValue(m, 'cti_bridge_journal_pending', { profile: 'main', work: 'ticket' }), 0);
  assert.equal(sampleValue(m, 'cti_bridge_lookup_cache_entries', { profile: 'main' }), 3);
  assert.equal(seen.find((r) => r.status === 429)?.endpoint, 'GET /api/v2/search');
  assert.equal(sampleValue(m, 'cti_bridge_zendesk_rate_limit', { profile: 'main' }), BUDGET);
  process.stdout.write(
    `metrics: calls ticket/abandoned/ignored/failed ${['ticket', 'abandoned', 'ignored', 'failed'].map(calls).join('/')}, pops ${sampleValue(m, 'cti_bridge_pop_latency_seconds_count')} (sum ${popSeconds.toFixed(3)} s), cache hit/miss 1/3, Zendesk requests ${seen.length} (429s ${refused}), ${m.length} samples\n`,
  );
});

test('the listener moves with the profile’s operations keys, the calls go on; 404 and 405', async (t) => {
  const operations = (address: string) => `operations:\n  address: ${address}\n  port: 0\n`;
  const bridge = await startBridge({ ops: {}, profile: { extra: operations('127.0.0.1') } });
  t.after(() => bridge.close());
  const first = bridge.ops?.address;
  assert.equal(first?.address, '127.0.0.1');
  assert.ok(first && first.port > 0);
  assert.equal((await get(bridge.ops, '/nope')).status, 404);
  const post = await get(bridge.ops, '/metrics', 'POST');
  assert.equal(post.status, 405);
  assert.equal((await get(bridge.ops, '/status', 'DELETE')).status, 405);

  // Another loopback address in the profile: the listener follows, the integration stays.
  const file = path.join(bridge.configDir, 'main.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(operations('127.0.0.1'), operations('127.0.0.2')));
  await bridge.daemon.reload();
  assert.equal(bridge.ops?.address?.address, '127.0.0.2');
  assert.equal((await get(bridge.ops, '/healthz')).status, 200);
  await assert.rejects(fetch(`http://127.0.0.1:${first.port}/healthz`), 'the old socket is closed');
  assert.equal(bridge.logged(/stopping integration/).length, 0, 'the integration was not restarted');
  assert.equal(bridge.logged(/^listening$/).length, 2);
  bridge.pbx.placeCall({ queue: 'support', callerNum: '+4930123456' });
  await bridge.waitFor(() => bridge.zd.pops.length === 1, 'a pop after the move');
});

test('status: the error ring shows this profile’s real Zendesk error, with no secret', async (t) => {
  const bridge = await startBridge({
    ops: { listen: ANY_PORT },
    tuning: { retry: { firstMs: 50, maxMs: 100 } },
  });
  t.after(() => bridge.close());
  bridge.zd.faults.next({ status: 500, endpoint: POP, count: 3 });
  const call = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4930123456' });
  // Three 500s: the client's own retries are spent, the call handler logs the ERROR and tries again.
  await bridge.waitFor(() => bridge.logged(/^ticket created/).length === 1, 'the ticket on the second try');

  const answer = await get(bridge.ops, '/status');
  assert.equal(answer.status, 200);
  for (const [name, value] of Object.entries(TEST_SECRETS)) {
    assert.ok(!answer.text.includes(value), `${name} is not in /status`);
  }
  const status = JSON.parse(answer.text) as StatusReport;
  const error = status.recentErrors.find((e) => e.message === 'no ticket for this call yet; trying again');
  assert.ok(error, `the failed ticket is in the ring: ${JSON.stringify(status.recentErrors)}`);
  assert.equal(error.level, 'error');
  assert.equal(error.module, 'calls');
  assert.match(error.detail ?? '', new RegExp(`callId=${call.linkedid.replace('.', '\\.')}`));
  assert.match(error.detail ?? '', /HTTP500|500/);
  assert.equal(status.profile?.name, 'main');
  assert.equal(status.readiness.ready, true);
  assert.equal(status.ami?.state, 'up');
  assert.equal(status.zendesk?.state, 'ok');
  assert.equal(status.zendesk?.lastFailure?.status, 500);
  assert.equal(status.sync?.state, 'ok');
  assert.ok(status.zendesk?.rate.remaining !== undefined, 'the rate budget is known');
  const metrics = parseMetrics((await get(bridge.ops, '/metrics')).text);
  assert.equal(sampleValue(metrics, 'cti_bridge_calls_total', { outcome: 'failed' }), 1);
  assert.equal(sampleValue(metrics, 'cti_bridge_calls_total', { outcome: 'ticket' }), 1);
  process.stdout.write(
    `error ring: ${error.time} ${error.level} [${error.module}] ${error.message}  ${error.detail}\n`,
  );
});

test('readyz: Zendesk rejecting the OAuth refresh token is named, and so is its cure', async (t) => {
  const bridge = await startBridge({
    ops: { listen: ANY_PORT },
    tuning: { retry: { firstMs: 200, maxMs: 400 } },
  });
  t.after(() => bridge.close());
  await readyzUntil(bridge, (r) => r.status === 200, 'ready after the start-up sync');
  bridge.zd.revokeOAuthTokens(); // an admin deleted the bridge's token in Admin Center
  bridge.pbx.placeCall({ queue: 'support', callerNum: '+4930123456', talkMs: 100 });
  const rejected = await readyzUntil(
    bridge,
    (r) => r.status === 503,
    'not ready once the refresh is rejected',
  );
  await bridge.waitFor(
    () => bridge.integration?.snapshot().zendesk.auth === 'rejected',
    'the rejected state',
  );
  const now = await readyz(bridge);
  assert.deepEqual(now.notReady, [
    {
      check: 'zendesk',
      reason: 'Zendesk rejected the OAuth refresh token: give the bridge new tokens (docs/zendesk-auth.md)',
    },
  ]);
  const status = JSON.parse((await get(bridge.ops, '/status')).text) as StatusReport;
  assert.equal(status.zendesk?.auth, 'rejected');
  assert.ok(
    status.recentErrors.some(
      (e) => e.level === 'error' && /rejected the OAuth refresh token/.test(e.message),
    ),
    'the ERROR is in the ring',
  );
  for (const [name, value] of Object.entries(TEST_SECRETS)) {
    assert.ok(!JSON.stringify(status).includes(value), `${name} is not in /status`);
  }
  process.stdout.write(`oauth rejected: first 503 ${JSON.stringify(rejected.notReady)}\n`);
});
