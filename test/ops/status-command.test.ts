import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, test } from 'node:test';
import type { StatusReport } from '../../src/ops/status-report.ts';
import { startFakePbx } from '../../src/sim/pbx/fake-pbx.ts';
import { startFakeZendesk } from '../../src/sim/zendesk/index.ts';
import { waitFor } from '../support/bridge-harness.ts';
import { startDaemonProcess } from '../support/daemon-process.ts';
import { captureOutput } from '../support/log-capture.ts';
import { profileYaml, tempConfigDir } from '../support/profiles.ts';
import { freePort } from '../support/redis-server.ts';
import { FAKE_ZENDESK_CREDENTIALS, TEST_SECRET_ENV, TEST_SECRETS } from '../support/test-secrets.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/cti-bridge.js');
const dirs: Array<{ remove(): void }> = [];
after(() => {
  for (const dir of dirs) dir.remove();
});

/** `cti-bridge <args>` as an admin runs it, without CTI_BRIDGE_LISTEN; output kept for the secret check. */
function cli(args: string[], label: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const record = captureOutput(label);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH, ...TEST_SECRET_ENV }, timeout: 20_000 },
      (error, stdout, stderr) => {
        record(stdout);
        record(stderr);
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

test('cti-bridge status and --json against a running daemon, at the address of the active profile', async (t) => {
  const pbx = await startFakePbx({ users: { bridge: TEST_SECRETS.amiSecret } });
  const zd = await startFakeZendesk({ credentials: FAKE_ZENDESK_CREDENTIALS });
  t.after(async () => {
    await pbx.close();
    await zd.close();
  });
  const config = tempConfigDir();
  dirs.push(config);
  const port = await freePort();
  // Only the port: the address is left to its default, loopback.
  config.write(
    'main',
    profileYaml({
      active: true,
      amiPort: pbx.port,
      zendeskUrl: zd.url,
      defaultUserEmail: 'unknown.caller@example.com',
      queues: { support: {} },
      extra: `operations:\n  port: ${port}\n`,
    }),
  );
  const daemon = startDaemonProcess(config.dir, 'cti-bridge run (status)', {
    env: { CTI_BRIDGE_LISTEN: '' },
  });
  t.after(() => daemon.child.kill('SIGKILL'));
  await waitFor(() => daemon.said('sync finished'), 'the start-up sync', 20_000);
  const listening = daemon
    .output()
    .split('\n')
    .filter((line) => line.includes('"msg":"listening"'))
    .map((line) => JSON.parse(line) as { address: string; port: number });
  assert.deepEqual(
    listening.map((l) => [l.address, l.port]),
    [['127.0.0.1', port]],
    'bound once, on loopback, at the profile’s port',
  );
  const call = pbx.placeCall({ queue: 'support', callerNum: '+4930123456' });
  await waitFor(() => zd.pops.length === 1, 'the pop', 10_000);
  await call.done;

  const text = await cli(['--config-dir', config.dir, 'status'], 'cti-bridge status');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^cti-bridge \d+\.\d+\.\d+, pid \d+, up /);
  assert.match(text.stdout, /\nprofile main \(.*main\.yaml\)\n/);
  assert.match(text.stdout, /\nREADY: calls get their tickets\n/);
  assert.match(text.stdout, /\nAMI {8}up \(127\.0\.0\.1:\d+\), 0 reconnects/);
  assert.match(text.stdout, /\nZendesk {4}ok \(http:\/\/127\.0\.0\.1:\d+\); last request /);
  assert.match(text.stdout, /rate budget \d+ of 700 requests left this minute/);
  assert.match(text.stdout, /\nSync {7}ok at .*: 3 agents, 1 group matched\n/);
  assert.match(text.stdout, /PBX users without an email: 999 \(Front Desk\)/);
  assert.match(text.stdout, /\nRecent errors and warnings \(\d+, oldest first\):\n/);

  const json = await cli(['--config-dir', config.dir, 'status', '--json'], 'cti-bridge status --json');
  assert.equal(json.code, 0, json.stderr);
  const status = JSON.parse(json.stdout) as StatusReport;
  assert.equal(status.profile?.name, 'main');
  assert.deepEqual(status.readiness, { ready: true, notReady: [] });
  assert.equal(status.daemon.pid, daemon.child.pid);
  assert.equal(status.ami?.state, 'up');
  assert.equal(status.zendesk?.state, 'ok');
  assert.equal(status.zendesk?.rate.limit, 700);
  assert.ok(
    (status.calls?.queued ?? 0) + (status.calls?.talking ?? 0) + (status.calls?.wrappingUp ?? 0) >= 1,
  );
  assert.equal(status.cache?.store, 'memory');
  assert.equal(status.cache?.entries, 1);
  // The ended call waits for its wrap-up (30 s): the journal and the handler say so in one snapshot.
  assert.equal(status.pending?.tickets, 0);
  assert.equal(status.pending?.wrapUps, status.calls?.wrappingUp);
  assert.equal(status.sync?.state, 'ok');
  assert.deepEqual(status.sync?.unmatched?.withoutEmail, ['999 (Front Desk)']);
  assert.ok(status.recentErrors.some((e) => e.module === 'sync' && /without an email/.test(e.message)));
  process.stdout.write(
    `status: ${text.stdout.split('\n').length} lines on the terminal, --json ${json.stdout.length} bytes; rate ${status.zendesk?.rate.remaining}/${status.zendesk?.rate.limit}, ${status.recentErrors.length} recent warnings\n`,
  );

  daemon.child.kill('SIGTERM');
  assert.equal(await daemon.exited(), 0);
});

test('cti-bridge status with no daemon: one line, exit 3; a bad --listen: exit 2', async () => {
  const port = await freePort();
  const byUrl = await cli(['status', '--url', `http://127.0.0.1:${port}`], 'cti-bridge status (no daemon)');
  assert.equal(byUrl.code, 3);
  assert.equal(byUrl.stdout, '');
  assert.equal(
    byUrl.stderr,
    `cti-bridge status: no daemon answers at http://127.0.0.1:${port} (connection refused); is it running? (systemctl status cti-bridge)\n`,
  );

  // Without --url: the address comes from the active profile of the config directory.
  const config = tempConfigDir();
  dirs.push(config);
  config.write('main', profileYaml({ active: true, extra: `operations:\n  port: ${port}\n` }));
  const byProfile = await cli(
    ['--config-dir', config.dir, 'status', '--json'],
    'cti-bridge status (profile)',
  );
  assert.equal(byProfile.code, 3);
  assert.match(
    byProfile.stderr,
    new RegExp(`^cti-bridge status: no daemon answers at http://127\\.0\\.0\\.1:${port} `),
  );
  assert.equal(byProfile.stderr.split('\n').length, 2, 'one line, no stack trace');

  const badListen = await cli(
    ['--config-dir', config.dir, 'run', '--listen', 'localhost:9464'],
    'run --listen',
  );
  assert.equal(badListen.code, 2);
  assert.equal(badListen.stderr, '--listen: "localhost" is not an IP address (like 127.0.0.1)\n');
});
