import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CallJournal } from '../../src/calls/call-journal.ts';
import { startFakePbx } from '../../src/sim/pbx/fake-pbx.ts';
import { startFakeZendesk } from '../../src/sim/zendesk/index.ts';
import { FAKE_ZENDESK_CREDENTIALS, waitFor } from '../support/bridge-harness.ts';
import { startDaemonProcess } from '../support/daemon-process.ts';
import { profileYaml, tempConfigDir } from '../support/profiles.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';

const TICKET = 'POST /api/v2/channels/voice/tickets';

test('SIGTERM: in-flight tickets get the configured bound, the rest stays journaled, exit 0; the next start finishes it', async (t) => {
  const pbx = await startFakePbx({ users: { bridge: TEST_SECRETS.amiSecret } });
  const zd = await startFakeZendesk({ credentials: FAKE_ZENDESK_CREDENTIALS });
  const config = tempConfigDir();
  const state = mkdtempSync(path.join(tmpdir(), 'cti-sigterm-'));
  t.after(async () => {
    await pbx.close();
    await zd.close();
    config.remove();
    rmSync(state, { recursive: true, force: true });
  });
  config.write(
    'main',
    profileYaml({
      active: true,
      amiPort: pbx.port,
      zendeskUrl: zd.url,
      stateDirectory: state,
      defaultUserEmail: 'unknown.caller@example.com',
      queues: { support: {} },
      wrapUpSeconds: 0,
      extra: 'stopTimeoutSeconds: 1\n',
    }),
  );
  const first = startDaemonProcess(config.dir, 'cti-bridge run (SIGTERM)');
  await waitFor(
    () => first.said('sync finished'),
    'the start-up sync',
    20_000,
    () => first.tail(),
  );
  // Zendesk takes 5 s per ticket: longer than the 1 s the profile allows at shutdown.
  zd.faults.latency(5_000, TICKET);
  const calls = Array.from({ length: 5 }, (_, i) =>
    pbx.placeCall({ queue: 'support', callerNum: `+49301234${50 + i}`, talkMs: 3_000 }),
  );
  await waitFor(
    () => zd.requests.filter((r) => r.endpoint === TICKET).length === 5,
    'five tickets in flight',
    10_000,
    () => first.tail(),
  );
  const sentAt = Date.now();
  first.child.kill('SIGTERM');
  assert.equal(await first.exited(), 0);
  const tookMs = Date.now() - sentAt;
  assert.ok(tookMs < 4_000, `stopped within the bound, not after Zendesk's 5 s (took ${tookMs} ms)`);
  assert.ok(first.said('stopped with call work still running'));

  const journal = CallJournal.open(CallJournal.fileFor(state, 'main'));
  t.after(() => journal.close());
  const owed = journal.unfinished();
  assert.equal(owed.length, 5, 'every answered call is in the journal');

  zd.faults.clear();
  // The fake finished the slow creates meanwhile; the next start must find, not repeat, them.
  await Promise.all(calls.map((c) => c.done));
  const second = startDaemonProcess(config.dir, 'cti-bridge run (after SIGTERM)');
  t.after(() => second.child.kill('SIGKILL'));
  // Tickets found or made, and the wrap-ups of calls that ended while no daemon ran (read back from
  // the PBX after the start-up sync).
  await waitFor(
    () => journal.unfinished().length === 0,
    'the journal replayed',
    20_000,
    () => `unfinished: ${JSON.stringify(journal.unfinished())}\n${second.tail()}`,
  );
  for (const call of calls) {
    const tickets = zd.state.tickets().filter((tk) => tk.external_id === `cti-bridge:${call.linkedid}`);
    assert.equal(tickets.length, 1, `exactly one ticket for ${call.linkedid}`);
  }
  second.child.kill('SIGTERM');
  assert.equal(await second.exited(), 0);
});
