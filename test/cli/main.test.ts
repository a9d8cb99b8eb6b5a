import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { captureOutput } from '../support/log-capture.ts';
import { profileYaml, tempConfigDir } from '../support/profiles.ts';
import { TEST_SECRET_ENV } from '../support/test-secrets.ts';

const bin = path.resolve(import.meta.dirname, '../../bin/cti-bridge.js');
const config = tempConfigDir();
after(() => config.remove());

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  });
  captureOutput(`cti-bridge ${args.join(' ')}`)(result.stdout + result.stderr);
  return result;
}

test('--secrets-file resolves env: references the way the service environment does', () => {
  config.write('main', profileYaml());
  const secrets = path.join(config.dir, '.secrets.env');
  writeFileSync(
    secrets,
    Object.entries(TEST_SECRET_ENV)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
    { mode: 0o600 },
  );
  const without = cli(['--config-dir', config.dir, 'config', 'validate', 'main']);
  assert.equal(without.status, 1);
  assert.match(without.stdout + without.stderr, /CTI_AMI_SECRET is not set/);

  const withFile = cli(['--config-dir', config.dir, '--secrets-file', secrets, 'config', 'validate', 'main']);
  assert.equal(withFile.status, 0, withFile.stdout + withFile.stderr);
});

test('usage errors exit 2 and say what is wrong', () => {
  const unknown = cli(['frobnicate']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  const missing = cli(['--config-dir']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /need a value/);
  const file = cli(['--secrets-file', '/nonexistent/secrets.env', 'config', 'list']);
  assert.equal(file.status, 2);
  assert.match(file.stderr, /cannot read the secrets file/);
});

test('help and version', () => {
  const help = cli(['help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /config activate <name>/);
  const version = cli(['--version']);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});
