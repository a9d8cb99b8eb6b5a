import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activateProfile, deactivateProfile } from '../../src/config/activation.ts';
import { startBridge } from '../support/bridge-harness.ts';
import { TEST_SECRET_ENV } from '../support/test-secrets.ts';

test('the active profile switched off and on while calls are up: every answered call keeps exactly one ticket and its wrap-up', async (t) => {
  const bridge = await startBridge({ profile: { wrapUpSeconds: 0 } });
  t.after(() => bridge.close());
  const calls = Array.from({ length: 4 }, (_, i) =>
    bridge.pbx.placeCall({
      queue: i % 2 ? 'sales' : 'support',
      callerNum: `+49301234${60 + i}`,
      talkMs: 2_500,
    }),
  );
  await bridge.waitFor(() => bridge.zd.pops.length === 4, 'four calls answered and popped', 10_000);

  await deactivateProfile(bridge.configDir, 'main');
  await bridge.daemon.reload();
  const syncs = bridge.logged(/sync finished/).length;
  await activateProfile(bridge.configDir, 'main', { env: TEST_SECRET_ENV });
  await bridge.daemon.reload();
  await bridge.waitFor(() => bridge.logged(/sync finished/).length > syncs, 'the sync after re-activation');
  assert.equal(bridge.logged(/unfinished calls restored from the journal/).length, 1);

  await Promise.all(calls.map((c) => c.done));
  const tickets = () =>
    calls.map((c) => bridge.zd.state.tickets().filter((tk) => tk.external_id === `cti-bridge:${c.linkedid}`));
  await bridge.waitFor(
    () =>
      tickets().every(
        (found) =>
          found.length === 1 &&
          /Call facts/.test(String(bridge.zd.state.comments(found[0]!.id).at(-1)?.body)),
      ),
    'every wrap-up after the calls ended',
    10_000,
  );
  const counts = tickets().map((found) => found.length);
  console.log(
    `profile toggle: calls ${calls.length}, tickets ${counts.reduce((a, b) => a + b, 0)}, lost ${counts.filter((n) => n === 0).length}, duplicates ${counts.filter((n) => n > 1).length}`,
  );
  assert.deepEqual(counts, [1, 1, 1, 1]);
  assert.equal(bridge.zd.pops.length, 4, 'no pop again after the switch');
});
