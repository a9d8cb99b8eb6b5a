import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startFakePbx } from '../../src/sim/pbx/fake-pbx.ts';
import { startFakeZendesk } from '../../src/sim/zendesk/index.ts';
import { FAKE_ZENDESK_CREDENTIALS, waitFor } from '../support/bridge-harness.ts';
import { type DaemonProcess, startDaemonProcess } from '../support/daemon-process.ts';
import { type NotifyMessage, notifySocketSkipReason, startNotifySocket } from '../support/notify-socket.ts';
import { profileYaml, tempConfigDir } from '../support/profiles.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';

// The daemon as systemd runs it under Type=notify (systemd/cti-bridge.service), against a real
// unix datagram socket in place of systemd's: what arrives there is what systemd would read.

const skip = notifySocketSkipReason() ?? false;
const STALL_PRELOAD = path.resolve(import.meta.dirname, '../support/stall-event-loop.ts');
const GROUPS = 'GET /api/v2/groups';
const AGENTS = 'GET /api/v2/users';

const ms = (ns: bigint) => Number(ns / 1_000_000n);
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

/** Milliseconds between consecutive messages. */
function gaps(messages: NotifyMessage[]): number[] {
  return messages.slice(1).map((m, i) => ms(m.at - messages[i]!.at));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Resolves with the exit code and when the exit was seen (CLOCK_MONOTONIC ns). */
async function stopped(daemon: DaemonProcess): Promise<{ code: number | string; at: bigint }> {
  daemon.child.kill('SIGTERM');
  const code = await daemon.exited();
  return { code, at: process.hrtime.bigint() };
}

/**
 * An idle daemon (one inactive profile) reporting to a fresh notify socket, both cleaned up after
 * the test: the set-up of the tests that need no PBX or Zendesk.
 */
async function idleDaemon(
  t: { after(fn: () => unknown): void },
  label: string,
  env: Record<string, string>,
  options: { abstract?: boolean; nodeArgs?: string[]; stdin?: boolean } = {},
) {
  const socket = await startNotifySocket(options.abstract ? { abstract: true } : {});
  const config = tempConfigDir();
  t.after(async () => {
    await socket.close();
    config.remove();
  });
  config.write('main', profileYaml());
  const daemon = startDaemonProcess(config.dir, label, {
    env: { NOTIFY_SOCKET: socket.address, ...env },
    ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
    ...(options.stdin ? { stdin: true } : {}),
  });
  t.after(() => daemon.child.kill('SIGKILL'));
  return { socket, daemon };
}

test('Type=notify: STATUS while the start-up sync runs, READY=1 only after it, WATCHDOG=1 at half the interval, STOPPING=1 before exit', {
  skip,
}, async (t) => {
  const pbx = await startFakePbx({ users: { bridge: TEST_SECRETS.amiSecret } });
  const zd = await startFakeZendesk({ credentials: FAKE_ZENDESK_CREDENTIALS });
  const socket = await startNotifySocket();
  const config = tempConfigDir();
  t.after(async () => {
    await socket.close();
    await pbx.close();
    await zd.close();
    config.remove();
  });
  // The groups answer takes 1.5 s: a READY=1 sent before the sync finished would be seen.
  zd.faults.latency(1_500, GROUPS);
  config.write(
    'main',
    profileYaml({ active: true, amiPort: pbx.port, zendeskUrl: zd.url, queues: { support: {} } }),
  );
  const daemon = startDaemonProcess(config.dir, 'cti-bridge run (Type=notify)', {
    env: { NOTIFY_SOCKET: socket.address, WATCHDOG_USEC: '2000000' },
  });
  t.after(() => daemon.child.kill('SIGKILL'));

  let askedAtReady: Array<{ endpoint: string; outcome: string }> = [];
  await waitFor(
    () => {
      if (socket.with('READY', '1').length === 0) return false;
      askedAtReady = zd.requests.map((r) => ({ endpoint: r.endpoint, outcome: r.outcome }));
      return true;
    },
    'READY=1',
    20_000,
  );
  const ready = socket.with('READY', '1')[0]!;
  assert.ok(
    askedAtReady.some((r) => r.endpoint === AGENTS && r.outcome === 'answered'),
    'the agents were fetched before READY=1',
  );
  assert.ok(
    askedAtReady.some((r) => r.endpoint === GROUPS && r.outcome === 'answered'),
    'the slow groups answer had arrived before READY=1',
  );
  assert.ok(daemon.said('sync finished'), 'the daemon logged the finished sync');
  const statuses = socket.with('STATUS').map((m) => m.fields.STATUS);
  assert.ok(
    socket
      .with('STATUS')
      .some((m) => m.at < ready.at && /^starting profile main: waiting/.test(m.fields.STATUS!)),
    `a starting STATUS before READY=1 (got ${JSON.stringify(statuses)})`,
  );
  assert.equal(statuses.at(-1), 'running profile main');

  await waitFor(
    () => socket.with('WATCHDOG', '1').filter((m) => m.at > ready.at).length >= 5,
    'five pings',
    15_000,
  );
  const pingGaps = gaps(socket.with('WATCHDOG', '1').filter((m) => m.at > ready.at));
  t.diagnostic(
    `WATCHDOG_USEC=2000000: pings ${pingGaps.join(', ')} ms apart (median ${median(pingGaps)} ms)`,
  );
  assert.ok(median(pingGaps) >= 800 && median(pingGaps) <= 1_300, `about 1000 ms apart (${pingGaps})`);
  assert.ok(Math.max(...pingGaps) < 2_000, 'never a whole watchdog interval without a ping');

  const exit = await stopped(daemon);
  assert.equal(exit.code, 0);
  const stopping = socket.with('STOPPING', '1');
  assert.equal(stopping.length, 1, 'STOPPING=1 once');
  assert.equal(stopping[0]!.fields.STATUS, 'stopping');
  assert.ok(stopping[0]!.at < exit.at, 'STOPPING=1 arrived before the process ended');
  assert.equal(
    socket.with('WATCHDOG').filter((m) => m.at > stopping[0]!.at).length,
    0,
    'no ping after STOPPING=1',
  );
  t.diagnostic(
    `READY=1 ${ms(ready.at - socket.messages[0]!.at)} ms after the first message; STOPPING=1 ${ms(exit.at - stopping[0]!.at)} ms before the exit was seen`,
  );
});

test('idle daemon, abstract-namespace socket: READY=1 with STATUS=idle at once; STOPPING=1 on SIGTERM', {
  skip,
}, async (t) => {
  const { socket, daemon } = await idleDaemon(
    t,
    'cti-bridge run (idle, abstract socket)',
    { WATCHDOG_USEC: '1000000' },
    { abstract: true },
  );
  await waitFor(() => socket.with('READY', '1').length > 0, 'READY=1', 15_000);
  assert.match(socket.address, /^@/);
  const ready = socket.with('READY', '1')[0]!;
  const statusAtReady = socket
    .with('STATUS')
    .filter((m) => m.at <= ready.at)
    .at(-1);
  assert.equal(statusAtReady?.fields.STATUS, 'idle: no profile running');
  await waitFor(() => socket.with('WATCHDOG', '1').length >= 3, 'pings', 5_000);
  const exit = await stopped(daemon);
  assert.equal(exit.code, 0);
  assert.equal(socket.with('STOPPING', '1').length, 1);
});

test('WATCHDOG_PID of another process: READY=1 and STATUS, but no pings', { skip }, async (t) => {
  const { socket, daemon } = await idleDaemon(t, 'cti-bridge run (WATCHDOG_PID not ours)', {
    WATCHDOG_USEC: '1000000',
    WATCHDOG_PID: '1',
  });
  await waitFor(() => socket.with('READY', '1').length > 0, 'READY=1', 15_000);
  await sleep(2_500); // five ping periods of 500 ms
  assert.equal(socket.with('WATCHDOG').length, 0);
  assert.equal((await stopped(daemon)).code, 0);
});

test('NOTIFY_SOCKET unset: systemd-notify never runs, whatever WATCHDOG_USEC says', { skip }, async (t) => {
  // A spy in front of the real systemd-notify records every run; the daemon with NOTIFY_SOCKET
  // shows the spy works, the one without must leave it untouched.
  const real = spawnSync('sh', ['-c', 'command -v systemd-notify'], { encoding: 'utf8' }).stdout.trim();
  assert.ok(real, 'systemd-notify is installed (package systemd)');
  const bin = mkdtempSync(path.join(tmpdir(), 'cti-spy-'));
  const socket = await startNotifySocket();
  const config = tempConfigDir();
  t.after(async () => {
    await socket.close();
    config.remove();
    rmSync(bin, { recursive: true, force: true });
  });
  const spy = (name: string) => {
    const dir = path.join(bin, name);
    const log = path.join(bin, `${name}.log`);
    spawnSync('mkdir', [dir]);
    writeFileSync(
      path.join(dir, 'systemd-notify'),
      `#!/bin/sh\necho "$*" >> '${log}'\nexec '${real}' "$@"\n`,
    );
    chmodSync(path.join(dir, 'systemd-notify'), 0o755);
    return { path: `${dir}:${process.env.PATH}`, log };
  };
  const withSocket = spy('with-socket');
  const without = spy('without-socket');
  config.write('main', profileYaml());
  const notified = startDaemonProcess(config.dir, 'cti-bridge run (NOTIFY_SOCKET set, spy)', {
    env: { PATH: withSocket.path, NOTIFY_SOCKET: socket.address, WATCHDOG_USEC: '1000000' },
  });
  const silent = startDaemonProcess(config.dir, 'cti-bridge run (NOTIFY_SOCKET unset, spy)', {
    env: { PATH: without.path, WATCHDOG_USEC: '1000000' },
  });
  t.after(() => {
    notified.child.kill('SIGKILL');
    silent.child.kill('SIGKILL');
  });
  await waitFor(() => silent.said('no configuration profile is active'), 'the second daemon idle', 15_000);
  await waitFor(() => socket.with('READY', '1').length > 0, 'READY=1 from the first', 15_000);
  await sleep(2_000); // four ping periods
  const [first, second] = await Promise.all([stopped(notified), stopped(silent)]);
  assert.equal(first.code, 0);
  assert.equal(second.code, 0);
  const runs = readFileSync(withSocket.log, 'utf8').trim().split('\n');
  t.diagnostic(
    `with NOTIFY_SOCKET: ${runs.length} systemd-notify runs; without: ${existsSync(without.log) ? 'some' : 'none'}`,
  );
  assert.ok(runs.some((line) => line.includes('READY=1')));
  assert.ok(runs.some((line) => line.includes('STOPPING=1')));
  assert.equal(existsSync(without.log), false, 'no systemd-notify run without NOTIFY_SOCKET');
  assert.equal(silent.said('systemd'), false, 'nothing about systemd in its log');
});

test('event loop blocked: the pings stop (WARN once) and come back when it is healthy', {
  skip,
}, async (t) => {
  const { socket, daemon } = await idleDaemon(
    t,
    'cti-bridge run (event loop stalls)',
    { WATCHDOG_USEC: '2000000' },
    { nodeArgs: ['--import', STALL_PRELOAD], stdin: true },
  );
  await waitFor(() => socket.with('READY', '1').length > 0, 'READY=1', 15_000);
  await waitFor(() => socket.with('WATCHDOG', '1').length >= 3, 'pings before the stall', 10_000);

  // Blocked 1.2 s at a time (the bound is 500 ms, a quarter of 2 s), 50 ms of air in between, for 5 s.
  const stallAt = process.hrtime.bigint();
  daemon.child.stdin!.write('stall 1200 50 5000\n');
  await waitFor(() => daemon.said('pings resumed'), 'the pings to resume', 15_000);
  const resumedAt = process.hrtime.bigint();
  await waitFor(
    () => socket.with('WATCHDOG', '1').some((m) => m.at > resumedAt),
    'a ping after the stall',
    5_000,
  );
  const pings = socket.with('WATCHDOG', '1');
  // A ping already on its way when the stall began may land just after it; the stall lasts at least 5 s.
  const settled = stallAt + 300_000_000n;
  const during = pings.filter((m) => m.at > settled && m.at < stallAt + 5_000_000_000n);
  const lastBefore = pings.filter((m) => m.at <= settled).at(-1)!;
  const firstAfter = pings.find((m) => m.at > settled)!;
  const silentMs = ms(firstAfter.at - lastBefore.at);
  t.diagnostic(
    `stall of 5 s in 1.2 s blocks: ${pings.filter((m) => m.at <= settled).length} pings before, ${during.length} during, ${pings.filter((m) => m.at > resumedAt).length} after; no ping for ${silentMs} ms`,
  );
  assert.equal(during.length, 0, 'no ping while the loop was blocked');
  assert.ok(silentMs >= 5_000, `the pings stayed off for the whole stall (${silentMs} ms)`);
  assert.equal(daemon.count('watchdog ping withheld'), 1, 'one WARN for the whole stall');
  assert.equal((await stopped(daemon)).code, 0);
});

test('NOTIFY_SOCKET names a socket that is gone: WARN once, the daemon runs on, and notifies again once it is back', {
  skip,
}, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cti-notify-gone-'));
  const address = path.join(dir, 'notify.sock');
  const config = tempConfigDir();
  const later = { socket: undefined as Awaited<ReturnType<typeof startNotifySocket>> | undefined };
  t.after(async () => {
    await later.socket?.close();
    config.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  config.write('main', profileYaml());
  const daemon = startDaemonProcess(config.dir, 'cti-bridge run (notify socket gone)', {
    env: { NOTIFY_SOCKET: address, WATCHDOG_USEC: '1000000' },
  });
  t.after(() => daemon.child.kill('SIGKILL'));
  await waitFor(() => daemon.said('systemd notification failed'), 'the WARN', 15_000);
  await sleep(2_000); // four more pings that fail
  assert.equal(daemon.child.exitCode, null, 'still running');
  assert.equal(daemon.count('systemd notification failed'), 1, 'one WARN, not one per ping');

  later.socket = await startNotifySocket({ at: address });
  const socket = later.socket;
  await waitFor(() => socket.with('WATCHDOG', '1').length > 0, 'pings on the new socket', 5_000);
  await waitFor(() => daemon.said('systemd notifications get through again'), 'the recovery line', 5_000);
  const exit = await stopped(daemon);
  assert.equal(exit.code, 0);
  assert.equal(socket.with('STOPPING', '1').length, 1);
});
