import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { describeActiveSelection, loadConfigDir } from '../../src/config/config-dir.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { SecretRegistry } from '../../src/log/redact.ts';
import { SECRET_ENV, tempDir, validProfile, writeProfile } from './fixtures.ts';

test('no active profile: selection none, and the sentence says the daemon idles', async (t) => {
  const dir = await tempDir(t);
  await writeProfile(dir, 'berlin', validProfile());
  await writeProfile(dir, 'munich', validProfile());
  const state = await loadConfigDir(dir, { env: SECRET_ENV });
  assert.deepEqual(
    state.profiles.map((p) => [p.name, p.active, p.valid]),
    [
      ['berlin', false, true],
      ['munich', false, true],
    ],
  );
  assert.deepEqual(state.active, { kind: 'none' });
  assert.equal(
    describeActiveSelection(state.active),
    'no configuration profile is active: the daemon runs idle; activate one with `cti-bridge config activate <name>`',
  );
});

test('one active profile is selected with its resolved settings', async (t) => {
  const dir = await tempDir(t);
  await writeProfile(dir, 'berlin', validProfile({ active: true }));
  await writeProfile(dir, 'munich', validProfile());
  const secrets = new SecretRegistry();
  const state = await loadConfigDir(dir, { env: SECRET_ENV, secrets });
  assert.equal(state.active.kind, 'one');
  if (state.active.kind !== 'one') return;
  assert.equal(state.active.profile.name, 'berlin');
  assert.equal(state.active.profile.profile?.pbx.host, 'pbx.berlin.example');
  assert.equal(describeActiveSelection(state.active), `profile berlin is active (${dir}/berlin.yaml)`);
  assert.ok(secrets.size > 0);
});

test('two active profiles are a conflict naming both files', async (t) => {
  const dir = await tempDir(t);
  const a = await writeProfile(dir, 'a', validProfile({ active: true }));
  const b = await writeProfile(dir, 'b', validProfile({ active: true }));
  await writeProfile(dir, 'c', validProfile());
  const state = await loadConfigDir(dir, { env: SECRET_ENV });
  assert.deepEqual(state.active, { kind: 'conflict', files: [a, b] });
  assert.equal(
    describeActiveSelection(state.active),
    `two profiles are active: ${a}, ${b}; activate exactly one with \`cti-bridge config activate <name>\``,
  );
});

test('the active flag is read from an otherwise invalid profile, which then cannot run', async (t) => {
  const dir = await tempDir(t);
  await writeProfile(dir, 'broken', validProfile({ active: true }).replace('  port: 5038', '  port: many'));
  const state = await loadConfigDir(dir, { env: SECRET_ENV });
  assert.equal(state.active.kind, 'one');
  if (state.active.kind !== 'one') return;
  assert.equal(state.active.profile.valid, false);
  assert.equal(state.active.profile.profile, undefined);
  assert.match(
    describeActiveSelection(state.active),
    /^profile broken is active \(.*broken\.yaml\) but has 1 problem; fix them and check with `cti-bridge config validate broken`$/,
  );
});

test('only *.yaml files directly in the directory count; .yml is warned about', async (t) => {
  const dir = await tempDir(t);
  await writeProfile(dir, 'berlin', validProfile());
  await writeFile(path.join(dir, 'old.yml'), validProfile({ active: true }));
  await writeFile(path.join(dir, '.berlin.yaml.123.tmp'), validProfile({ active: true }));
  await writeFile(path.join(dir, '.hidden.yaml'), validProfile({ active: true }));
  await writeFile(path.join(dir, 'berlin.yaml~'), validProfile({ active: true }));
  await writeFile(path.join(dir, 'README.md'), '# profiles\n');
  await mkdir(path.join(dir, 'nested.yaml'));
  await mkdir(path.join(dir, 'sub'));
  await writeProfile(path.join(dir, 'sub'), 'deep', validProfile({ active: true }));
  const state = await loadConfigDir(dir, { env: SECRET_ENV });
  assert.deepEqual(
    state.profiles.map((p) => p.name),
    ['berlin'],
  );
  assert.deepEqual(state.active, { kind: 'none' });
  assert.deepEqual(state.warnings, [
    `${dir}/old.yml: ignored: profiles must end in .yaml; rename it to old.yaml`,
  ]);
});

test('file paths in problems are the directory as given joined with the file name', async (t) => {
  const dir = await tempDir(t);
  await writeProfile(dir, 'berlin', validProfile().replace('  port: 5038', '  port: 0'));
  const relative = path.relative(process.cwd(), dir);
  const state = await loadConfigDir(relative, { env: SECRET_ENV });
  assert.deepEqual(state.profiles[0]?.errors, [
    `${relative}/berlin.yaml: pbx.port: must be at least 1 (got 0)`,
  ]);
});

test('a missing directory is a ConfigError saying what to do', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(loadConfigDir(path.join(dir, 'nope'), { env: SECRET_ENV }), (error) => {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems, [
      `${dir}/nope: the config directory does not exist; create it and copy config/example.yaml into it`,
    ]);
    return true;
  });
});
