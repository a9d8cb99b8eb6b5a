import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { after, test } from 'node:test';
import { captureOutput } from '../support/log-capture.ts';
import { profileYaml, tempConfigDir } from '../support/profiles.ts';
import { TEST_SECRET_ENV } from '../support/test-secrets.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const bin = path.join(repo, 'bin/cti-bridge.js');
const children: ChildProcess[] = [];
const dirs: Array<{ remove(): void }> = [];
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs) dir.remove();
});

/** Runs the real command as systemd would (stdout not a TTY → JSON lines) and collects its lines. */
function runDaemon(configDir: string, label: string) {
  const child = spawn(process.execPath, [bin, '--config-dir', configDir, 'run'], {
    // A free port for the operations listener: test daemons run side by side.
    env: { PATH: process.env.PATH, ...TEST_SECRET_ENV, CTI_BRIDGE_LISTEN: '127.0.0.1:0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const record = captureOutput(label);
  const lines: Array<Record<string, unknown>> = [];
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    record(chunk);
    pending += chunk.toString();
    const parts = pending.split('\n');
    pending = parts.pop()!;
    for (const line of parts) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    record(chunk);
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (predicate: (line: Record<string, unknown>) => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    while (!lines.some(predicate)) {
      if (Date.now() > deadline || child.exitCode !== null) {
        throw new Error(
          `no log line for ${what}; got:\n${lines.map((l) => JSON.stringify(l)).join('\n')}\n${stderr}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  return { child, lines, exited, waitFor, stderr: () => stderr };
}

test('cti-bridge run: idle, picks up an activation on SIGHUP, exits 0 on SIGTERM', async () => {
  const config = tempConfigDir();
  dirs.push(config);
  config.write('main', profileYaml());
  const daemon = runDaemon(config.dir, 'cti-bridge run (idle, SIGHUP, SIGTERM)');
  await daemon.waitFor((l) => /no configuration profile is active/.test(String(l.msg)), 'idle');

  config.write('main', profileYaml({ active: true }));
  daemon.child.kill('SIGHUP');
  await daemon.waitFor((l) => l.msg === 'integration started' && l.profile === 'main', 'integration start');

  daemon.child.kill('SIGTERM');
  assert.equal(await daemon.exited, 0);
  assert.ok(daemon.lines.some((l) => l.msg === 'integration stopped'));
  for (const line of daemon.lines) {
    assert.equal(typeof line.time, 'string');
    assert.ok(['error', 'warn', 'info', 'debug'].includes(String(line.level)));
  }
});

test('cti-bridge run: two active profiles → exit 1 naming both files', async () => {
  const config = tempConfigDir();
  dirs.push(config);
  config.write('alpha', profileYaml({ active: true }));
  config.write('beta', profileYaml({ active: true }));
  const daemon = runDaemon(config.dir, 'cti-bridge run (two active)');
  assert.equal(await daemon.exited, 1);
  const refusal = daemon.lines.find((l) => /refusing to start/.test(String(l.msg)));
  assert.ok(refusal, 'a refusal line');
  assert.match(JSON.stringify(refusal), /alpha\.yaml.*beta\.yaml/);
});

test('cti-bridge run: a missing secret variable → exit 1 naming the key and the variable', async () => {
  const config = tempConfigDir();
  dirs.push(config);
  config.write(
    'main',
    profileYaml({ active: true }).replace('env:CTI_AMI_SECRET', 'env:CTI_NOT_SET_ANYWHERE'),
  );
  const daemon = runDaemon(config.dir, 'cti-bridge run (missing secret)');
  assert.equal(await daemon.exited, 1);
  const refusal = daemon.lines.find((l) => /refusing to start/.test(String(l.msg)));
  assert.match(JSON.stringify(refusal), /pbx\.secret/);
  assert.match(JSON.stringify(refusal), /CTI_NOT_SET_ANYWHERE/);
});
