import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CallJournal } from '../../src/calls/call-journal.ts';
import { writeAdminRequest } from '../../src/daemon/admin-requests.ts';
import { RecordingJournal } from '../../src/recordings/recording-journal.ts';
import type { SimCall } from '../../src/sim/pbx/call-model.ts';
import { startFakePbx } from '../../src/sim/pbx/fake-pbx.ts';
import { randomInt, seededRandom } from '../../src/sim/pbx/prng.ts';
import { startFakeZendesk } from '../../src/sim/zendesk/index.ts';
import { FAKE_ZENDESK_CREDENTIALS, waitFor } from '../support/bridge-harness.ts';
import { type DaemonProcess, startDaemonProcess } from '../support/daemon-process.ts';
import { profileYaml, tempConfigDir } from '../support/profiles.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';

const KILLS = 20;
/** `SIGKILL_SEED=<n>` replays a run (the seed is printed). */
const SEED = Number(process.env.SIGKILL_SEED ?? Date.now() % 2 ** 31);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test(`the daemon SIGKILLed at ${KILLS} random points during calls: no ticket lost or doubled, no recording lost or copied twice`, async (t) => {
  console.log(`sigkill: seed ${SEED} (SIGKILL_SEED=${SEED} replays it)`);
  const random = seededRandom(SEED);
  const pbx = await startFakePbx({ users: { bridge: TEST_SECRETS.amiSecret } });
  const zd = await startFakeZendesk({ credentials: FAKE_ZENDESK_CREDENTIALS });
  const config = tempConfigDir();
  const work = mkdtempSync(path.join(tmpdir(), 'cti-sigkill-'));
  const share = path.join(work, 'share');
  mkdirSync(share);
  let daemon: DaemonProcess | undefined;
  t.after(async () => {
    daemon?.child.kill('SIGKILL');
    await pbx.close();
    await zd.close();
    config.remove();
    rmSync(work, { recursive: true, force: true });
  });
  config.write(
    'main',
    profileYaml({
      active: true,
      amiPort: pbx.port,
      zendeskUrl: zd.url,
      stateDirectory: path.join(work, 'state'),
      recordingsDir: path.join(work, 'recordings'),
      defaultUserEmail: 'unknown.caller@example.com',
      queues: { support: {}, sales: { record: true } },
      wrapUpSeconds: 0,
      recordings: { settleSeconds: 1, giveUpSeconds: 30 },
      share: { target: share, schedule: '0 3 * * *' },
    }),
  );
  const start = async (label: string) => {
    daemon = startDaemonProcess(config.dir, label);
    await waitFor(() => daemon!.said('sync finished'), `${label} to sync`, 20_000);
  };
  await start('cti-bridge run #0');

  // Calls keep coming while the daemon is killed and restarted. Talk times are longer than a
  // restart: a call answered and hung up entirely while no daemon runs leaves nothing to rebuild.
  // On a loaded 2-core machine a restart (process start, login, sync) took over 4 s, so talks
  // last 8–12 s.
  const calls: SimCall[] = [];
  let placing = true;
  const placer = (async () => {
    for (let i = 0; placing && i < 400; i++) {
      calls.push(
        pbx.placeCall({
          queue: random() < 0.5 ? 'sales' : 'support',
          callerNum: `+49301${String(SEED % 1000).padStart(3, '0')}${String(i).padStart(4, '0')}`,
          talkMs: randomInt(random, 8_000, 12_000),
        }),
      );
      await sleep(randomInt(random, 100, 400));
    }
  })();
  for (let kill = 1; kill <= KILLS; kill++) {
    await sleep(randomInt(random, 200, 1_500));
    daemon!.child.kill('SIGKILL');
    await daemon!.exited();
    await start(`cti-bridge run #${kill}`);
  }
  placing = false;
  await placer;
  const results = await Promise.all(calls.map((c) => c.done));

  const journal = CallJournal.open(CallJournal.fileFor(path.join(work, 'state'), 'main'));
  const recordings = RecordingJournal.open(RecordingJournal.fileFor(path.join(work, 'state'), 'main'));
  t.after(() => {
    journal.close();
    recordings.close();
  });
  await waitFor(() => journal.unfinished().length === 0, 'every ticket and wrap-up', 60_000);
  await waitFor(() => recordings.awaitingCompletion().length === 0, 'every recording complete', 60_000);
  await writeAdminRequest(config.dir, 'copy');
  await waitFor(
    () => recordings.lastRun()?.origin === 'copy-now' && recordings.lastRun()?.outcome !== 'running',
    'the copy',
    60_000,
  );

  const answered = calls.filter((_, i) => results[i]!.outcome === 'answered');
  const ticketCounts = answered.map(
    (c) => zd.state.tickets().filter((tk) => tk.external_id === `cti-bridge:${c.linkedid}`).length,
  );
  const unanswered = calls.filter((_, i) => results[i]!.outcome !== 'answered');
  const strayTickets = unanswered.filter((c) =>
    zd.state.tickets().some((tk) => tk.external_id === `cti-bridge:${c.linkedid}`),
  ).length;
  const recordedCalls = answered.filter((c) => c.queue === 'sales');
  const entries = recordedCalls.map((c) => recordings.get(c.linkedid));
  const recordingsLost = entries.filter((e) => !e || e.state === 'failed').length;
  const copiedCount = recordings.runsSince(0).reduce((sum, run) => sum + run.copied, 0);
  const lost = ticketCounts.filter((n) => n === 0).length;
  const duplicates = ticketCounts.filter((n) => n > 1).length;
  console.log(
    `sigkill: kills ${KILLS}, calls ${calls.length}, answered ${answered.length}, tickets ${ticketCounts.reduce((a, b) => a + b, 0)}, lost ${lost}, duplicates ${duplicates}, stray ${strayTickets}; recorded calls ${recordedCalls.length}, recordings lost ${recordingsLost}, copies ${copiedCount}, copied twice ${Math.max(0, copiedCount - entries.filter((e) => e?.state === 'copied').length)}`,
  );
  assert.equal(lost, 0, 'no answered call without its ticket');
  assert.equal(duplicates, 0, 'never two tickets for one call');
  assert.equal(strayTickets, 0);
  assert.equal(recordingsLost, 0, 'no recording lost');
  assert.equal(recordings.lastRun()?.outcome, 'ok');
  assert.equal(copiedCount, recordedCalls.length, 'each recording copied exactly once');
  daemon!.child.kill('SIGTERM');
  assert.equal(await daemon!.exited(), 0);
});
