import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/sim/zendesk/index.ts';
import { type Bridge, startBridge } from '../support/bridge-harness.ts';

const TICKET = 'POST /api/v2/channels/voice/tickets';

function ticketsFor(bridge: Bridge, callId: string) {
  return bridge.zd.state.tickets().filter((t) => t.external_id === `cti-bridge:${callId}`);
}

test('Zendesk down for 10 simulated minutes (503, timeouts, resets): afterwards every ticket exists exactly once, late pops skipped', async (t) => {
  const clock = new ManualClock();
  const bridge = await startBridge({
    zendesk: { clock },
    profile: { wrapUpSeconds: 0, answerWaitMs: 200 },
    tuning: { retry: { firstMs: 100, maxMs: 400 }, zendeskTimeoutMs: 300 },
  });
  t.after(() => bridge.close());
  // The outage covers ticket creation and lookups; it ends when the fake's clock passes 10 minutes.
  bridge.zd.faults.window({
    forMs: 10 * 60_000,
    mode: [503, 'drop', 'timeout', { kind: 'status', status: 503, after: true }],
  });

  const calls = Array.from({ length: 30 }, (_, i) =>
    bridge.pbx.placeCall({
      queue: i % 2 ? 'sales' : 'support',
      callerNum: i % 3 ? `+4930${1_000_000 + i}` : 'anonymous',
      talkMs: 100,
    }),
  );
  await Promise.all(calls.map((c) => c.done));
  await bridge.waitFor(
    () =>
      new Set(bridge.logged(/no ticket for this call yet; trying again/).map((r) => r.callId)).size === 30,
    'every call to have failed at least once',
    20_000,
  );
  const duringOutage = bridge.zd.state
    .tickets()
    .filter((tk) => String(tk.external_id).startsWith('cti-bridge:'));
  const popsAtPickup = bridge.zd.pops.length;

  clock.advance(10 * 60_000 + 1);
  await bridge.waitFor(
    () => calls.every((c) => ticketsFor(bridge, c.linkedid).length > 0),
    'every ticket',
    30_000,
  );
  // Retries still in flight must not add a second ticket: give them time to finish.
  await new Promise((resolve) => setTimeout(resolve, 1_500));

  const counts = calls.map((c) => ticketsFor(bridge, c.linkedid).length);
  const lost = counts.filter((n) => n === 0).length;
  const duplicates = counts.filter((n) => n > 1).length;
  const latePops = bridge.zd.pops.length - popsAtPickup;
  const lateCreates = bridge.zd.requests.filter((r) => r.endpoint === TICKET && r.status === 201).length;
  console.log(
    `zendesk outage: calls ${calls.length}, tickets ${counts.reduce((a, b) => a + b, 0)}, lost ${lost}, duplicates ${duplicates}, created during the outage (answer lost) ${duringOutage.length}, late pops ${latePops}`,
  );
  assert.equal(lost, 0);
  assert.equal(duplicates, 0);
  assert.ok(lateCreates >= 1);
  // Every call was over long before Zendesk came back: no late pop disturbed an agent.
  assert.equal(latePops, 0, 'pops for calls that are over are skipped');
  assert.ok(
    bridge.logged(/ticket found by its external_id/).length >= duringOutage.length,
    'tickets made during the outage whose answer was lost were found, not made twice',
  );
});
