import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { activateProfile, deactivateProfile } from '../../src/config/activation.ts';
import type { ResolvedProfile } from '../../src/config/config-dir.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import type { Integration, IntegrationFactory } from '../../src/daemon/integration.ts';
import { captureLogs } from '../support/log-capture.ts';
import { profileYaml, tempConfigDir } from '../support/profiles.ts';
import { TEST_SECRET_ENV, TEST_SECRETS } from '../support/test-secrets.ts';

/** Records every start/stop the daemon asks of its integrations, in order. */
function recordingFactory() {
  const events: string[] = [];
  const profiles: ResolvedProfile[] = [];
  const factory: IntegrationFactory = (profile): Integration => {
    profiles.push(profile);
    return {
      start: async () => {
        events.push(`start ${profile.name}`);
      },
      stop: async () => {
        events.push(`stop ${profile.name}`);
      },
    };
  };
  return { factory, events, profiles };
}

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const dirs: Array<{ remove(): void }> = [];
after(() => {
  for (const dir of dirs) dir.remove();
});

function setup(files: Record<string, string>, watch: false | { debounceMs: number; pollMs: number } = false) {
  const config = tempConfigDir();
  dirs.push(config);
  for (const [name, yaml] of Object.entries(files)) config.write(name, yaml);
  const { logger, records } = captureLogs();
  const integrations = recordingFactory();
  const daemon = new Daemon({
    configDir: config.dir,
    env: TEST_SECRET_ENV,
    logger,
    createIntegration: integrations.factory,
    watch,
  });
  return { config, daemon, records, ...integrations };
}

test('no active profile: the daemon runs idle and says so at INFO', async () => {
  const { daemon, records, events } = setup({ a: profileYaml(), b: profileYaml() });
  await daemon.start();
  assert.deepEqual(daemon.status, { kind: 'idle' });
  assert.deepEqual(events, []);
  const idle = records().find(
    (r) => r.level === 'info' && /no configuration profile is active/.test(String(r.msg)),
  );
  assert.ok(idle, 'an INFO line says the daemon is idle');
  await daemon.stop();
});

test('two active profiles: start is refused, naming both files', async () => {
  const { daemon, config, events } = setup({
    a: profileYaml({ active: true }),
    b: profileYaml({ active: true }),
  });
  await assert.rejects(daemon.start(), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    const text = error.problems.join('\n');
    assert.ok(text.includes(`${config.dir}/a.yaml`) || text.includes('a.yaml'), text);
    assert.ok(text.includes('b.yaml'), text);
    return true;
  });
  assert.deepEqual(events, []);
});

test('an invalid active profile: start is refused with every problem', async () => {
  const { daemon, events } = setup({ a: profileYaml({ active: true, extra: 'wrapUpSecs: 5\n' }) });
  await assert.rejects(daemon.start(), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.problems.join('\n'), /wrapUpSecs/);
    return true;
  });
  assert.deepEqual(events, []);
});

test('the one active profile starts the integration with resolved secrets', async () => {
  const { daemon, events, profiles } = setup({ main: profileYaml({ active: true }), spare: profileYaml() });
  await daemon.start();
  assert.deepEqual(events, ['start main']);
  assert.equal(daemon.status.kind, 'running');
  assert.equal(profiles[0]?.pbx.secret.reveal(), TEST_SECRETS.amiSecret);
  await daemon.stop();
  assert.deepEqual(events, ['start main', 'stop main']);
  assert.deepEqual(daemon.status, { kind: 'stopped' });
});

test('activation changes in the directory start, switch and stop the integration without a restart', async () => {
  const { daemon, events, config } = setup(
    { main: profileYaml(), spare: profileYaml({ amiPort: 5039 }) },
    { debounceMs: 30, pollMs: 200 },
  );
  await daemon.start();
  assert.deepEqual(events, []);

  await activateProfile(config.dir, 'main');
  await until(() => events.length === 1, 'main to start');
  assert.deepEqual(events, ['start main']);

  await activateProfile(config.dir, 'spare');
  await until(() => events.length === 3, 'the switch to spare');
  assert.deepEqual(events, ['start main', 'stop main', 'start spare']);

  await deactivateProfile(config.dir, 'spare');
  await until(() => events.length === 4, 'spare to stop');
  assert.deepEqual(events.at(-1), 'stop spare');
  assert.deepEqual(daemon.status, { kind: 'idle' });
  await daemon.stop();
});

test('editing an inactive profile or touching the active one does not restart the integration', async () => {
  const { daemon, events, config } = setup({ main: profileYaml({ active: true }), spare: profileYaml() });
  await daemon.start();
  config.write('spare', profileYaml({ amiPort: 6000 }));
  config.write('main', profileYaml({ active: true }));
  await daemon.reload();
  assert.deepEqual(events, ['start main']);

  config.write('main', profileYaml({ active: true, amiPort: 6001 }));
  await daemon.reload();
  assert.deepEqual(events, ['start main', 'stop main', 'start main']);
  await daemon.stop();
});

test('an active profile edited into an invalid state keeps the running integration and logs why', async () => {
  const { daemon, events, config, records } = setup({ main: profileYaml({ active: true }) });
  await daemon.start();
  config.write('main', profileYaml({ active: true, extra: 'wrapUpSecs: 5\n' }));
  await daemon.reload();
  await daemon.reload(); // the same problem is reported once, not on every poll
  assert.deepEqual(events, ['start main']);
  const errors = records().filter((r) => r.level === 'error' && /is invalid/.test(String(r.msg)));
  assert.equal(errors.length, 1);
  assert.match(JSON.stringify(errors[0]), /wrapUpSecs/);
  assert.match(String(errors[0]?.keeping), /keeps running/);

  config.write('main', profileYaml({ active: true, amiPort: 5040 }));
  await daemon.reload();
  assert.deepEqual(events, ['start main', 'stop main', 'start main']);
  await daemon.stop();
});

test('a rotated secret restarts the integration with the new value', async () => {
  const { daemon, events, profiles } = setup({ main: profileYaml({ active: true }) });
  await daemon.start();
  const env = TEST_SECRET_ENV;
  const original = env.CTI_AMI_SECRET;
  try {
    env.CTI_AMI_SECRET = `${original}-rotated`;
    await daemon.reload();
  } finally {
    env.CTI_AMI_SECRET = original!;
  }
  assert.deepEqual(events, ['start main', 'stop main', 'start main']);
  assert.equal(profiles[1]?.pbx.secret.reveal(), `${TEST_SECRETS.amiSecret}-rotated`);
  await daemon.stop();
});
