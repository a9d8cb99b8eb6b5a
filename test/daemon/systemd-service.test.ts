import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Daemon } from '../../src/daemon/daemon.ts';
import type { IntegrationFactory } from '../../src/daemon/integration.ts';
import { SdNotifier } from '../../src/daemon/sd-notify.ts';
import { SystemdService } from '../../src/daemon/systemd-service.ts';
import { watchdogSetting } from '../../src/daemon/watchdog.ts';
import { waitFor } from '../support/bridge-harness.ts';
import { captureLogs } from '../support/log-capture.ts';
import { notifySocketSkipReason, startNotifySocket } from '../support/notify-socket.ts';
import { profileYaml, tempConfigDir } from '../support/profiles.ts';
import { TEST_SECRET_ENV } from '../support/test-secrets.ts';

test('watchdog setting: WATCHDOG_USEC in µs; WATCHDOG_PID must be unset or ours; bad values are named', () => {
  assert.deepEqual(watchdogSetting({}, 42), { kind: 'off' });
  assert.deepEqual(watchdogSetting({ WATCHDOG_USEC: '30000000' }, 42), { kind: 'on', timeoutMs: 30_000 });
  assert.deepEqual(watchdogSetting({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42), {
    kind: 'on',
    timeoutMs: 30_000,
  });
  assert.deepEqual(watchdogSetting({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 42), { kind: 'off' });
  for (const bad of ['30s', '-1', '0', '999', '1e7']) {
    const setting = watchdogSetting({ WATCHDOG_USEC: bad }, 42);
    assert.equal(setting.kind, 'invalid', bad);
    assert.match(setting.kind === 'invalid' ? setting.problem : '', new RegExp(`got "${bad}"`));
  }
});

test('READY=1 waits for the start-up sync only up to its bound, then says what it still waits for', {
  skip: notifySocketSkipReason() ?? false,
}, async (t) => {
  const socket = await startNotifySocket();
  const config = tempConfigDir();
  t.after(async () => {
    await socket.close();
    config.remove();
  });
  config.write('main', profileYaml({ active: true }));
  // An integration whose start-up sync never finishes (a PBX that never answers, say).
  let stoppedBeforeReady = false;
  const neverReady: IntegrationFactory = () => {
    const readiness = Promise.withResolvers<boolean>();
    return {
      start: async () => {},
      stop: async () => {
        stoppedBeforeReady = true;
        readiness.resolve(false);
      },
      ready: () => readiness.promise,
    };
  };
  const { logger, records } = captureLogs();
  const env = { ...TEST_SECRET_ENV, NOTIFY_SOCKET: socket.address, PATH: process.env.PATH ?? '' };
  const systemd = SystemdService.fromEnv({ env, logger, readyWaitMs: 400 });
  assert.ok(systemd, 'NOTIFY_SOCKET is set');
  const daemon: Daemon = new Daemon({
    configDir: config.dir,
    env,
    logger,
    createIntegration: neverReady,
    watch: false,
    onChange: () => systemd.refresh(daemon),
  });
  await daemon.start();
  const startedAt = process.hrtime.bigint();
  await systemd.started(daemon);
  await waitFor(() => socket.with('READY', '1').length > 0, 'READY=1', 5_000);
  const ready = socket.with('READY', '1')[0]!;
  const waitedMs = Number((ready.at - startedAt) / 1_000_000n);
  t.diagnostic(`READY=1 after ${waitedMs} ms (bound 400 ms)`);
  assert.ok(waitedMs >= 400, `not before the bound (${waitedMs} ms)`);
  const status = socket.with('STATUS').at(-1)?.fields.STATUS;
  assert.equal(status, 'starting profile main: waiting for the start-up sync with the PBX and Zendesk');
  const warning = records().find(
    (r) => r.msg === 'start-up sync not finished: telling systemd the daemon is ready anyway',
  );
  assert.equal(warning?.level, 'warn');
  assert.equal(warning?.waitedMs, 400);

  systemd.stopping();
  await daemon.stop();
  await systemd.close();
  assert.ok(stoppedBeforeReady);
  assert.equal(socket.with('STOPPING', '1').length, 1);
});

test('systemd-notify not on PATH: one WARN naming the problem, never a throw', async () => {
  const { logger, records } = captureLogs();
  const notifier = new SdNotifier({ socket: '/run/nowhere/notify', logger, path: '/nonexistent-bin' });
  notifier.send({ READY: '1', STATUS: 'two\nlines' });
  notifier.send({ WATCHDOG: '1' });
  await notifier.drain(5_000);
  notifier.send({ WATCHDOG: '1' });
  await notifier.drain(5_000);
  const warnings = records().filter((r) => r.level === 'warn');
  assert.equal(warnings.length, 1, JSON.stringify(warnings));
  assert.equal(
    warnings[0]!.msg,
    'systemd notification failed; the daemon carries on without telling systemd',
  );
  assert.match(String(warnings[0]!.reason), /cannot run systemd-notify: .*ENOENT/);
  assert.equal(records().filter((r) => r.msg === 'systemd notification failed again').length, 2);
});
