import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { type TestContext, test } from 'node:test';
import { runConfigCommand } from '../../src/cli/config-command.ts';
import { memoryStream, SECRET_ENV, secretsIn, tempDir, validProfile, writeProfile } from './fixtures.ts';

async function run(dir: string, args: string[], env: NodeJS.ProcessEnv = SECRET_ENV) {
  const stdout = memoryStream();
  const stderr = memoryStream();
  const code = await runConfigCommand(args, {
    stdout: stdout.stream,
    stderr: stderr.stream,
    configDir: dir,
    env,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

async function twoProfiles(t: TestContext) {
  const dir = await tempDir(t);
  await writeProfile(dir, 'berlin', validProfile({ active: true }));
  await writeProfile(
    dir,
    'munich',
    validProfile()
      .replace('  port: 5038', '  port: 0')
      .replace('defaultCountry: DE', 'defaultCountry: Germany'),
  );
  return dir;
}

test('list shows name, active and valid, the problem count, and which profile runs', async (t) => {
  const dir = await twoProfiles(t);
  const result = await run(dir, ['list']);
  assert.equal(result.code, 0);
  assert.equal(
    result.stdout,
    [
      'NAME    ACTIVE  VALID',
      'berlin  yes     yes',
      'munich  no      no (2 problems)',
      '',
      `profile berlin is active (${dir}/berlin.yaml)`,
      'see the problems with `cti-bridge config validate <name>`',
      '',
    ].join('\n'),
  );
  assert.equal(result.stderr, '');
});

test('list of an empty directory says how to start', async (t) => {
  const dir = await tempDir(t);
  const result = await run(dir, ['list']);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^no profiles in .*; copy config\/example\.yaml to .*\/<name>\.yaml/);
});

test('validate reports every problem of every profile and exits 1', async (t) => {
  const dir = await twoProfiles(t);
  const result = await run(dir, ['validate']);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, `${dir}/berlin.yaml: valid (active)\n`);
  assert.equal(
    result.stderr,
    [
      `${dir}/munich.yaml: pbx.port: must be at least 1 (got 0)`,
      `${dir}/munich.yaml: lookup.defaultCountry: must be an ISO 3166-1 alpha-2 country code in capitals, like DE (got "Germany")`,
      '1 invalid profile (munich); fix the above and run `cti-bridge config validate` again',
      '',
    ].join('\n'),
  );
});

test('validate <name> checks that profile only and exits 0 when it is valid', async (t) => {
  const dir = await twoProfiles(t);
  const result = await run(dir, ['validate', 'berlin']);
  assert.deepEqual(result, {
    code: 0,
    stdout: `${dir}/berlin.yaml: valid (active)\nno problems found\n`,
    stderr: '',
  });
});

test('validate prints warnings without failing', async (t) => {
  const dir = await tempDir(t);
  await writeProfile(
    dir,
    'berlin',
    validProfile().replace(
      / {2}auth:\n( {4}.*\n)+/,
      '  auth:\n    type: apiToken\n    email: admin@acme.example\n    token: env:CTI_ZENDESK_API_TOKEN\n',
    ),
  );
  const result = await run(dir, ['validate']);
  assert.equal(result.code, 0);
  assert.match(result.stderr, /^warning: .*berlin\.yaml: zendesk\.auth\.type: Zendesk retires API tokens/);
});

test('validate fails on two active profiles and names both files', async (t) => {
  const dir = await tempDir(t);
  await writeProfile(dir, 'a', validProfile({ active: true }));
  await writeProfile(dir, 'b', validProfile({ active: true }));
  const result = await run(dir, ['validate', 'a']);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    new RegExp(`two profiles are active: ${dir}/a\\.yaml, ${dir}/b\\.yaml; activate exactly one with`),
  );
  assert.match(result.stderr, /more than one active profile; fix the above/);
});

test('validate of a profile with a missing env secret explains whose environment counts', async (t) => {
  const dir = await tempDir(t);
  await writeProfile(dir, 'berlin', validProfile());
  const result = await run(dir, ['validate'], {});
  assert.equal(result.code, 1);
  assert.match(result.stderr, /pbx\.secret: environment variable CTI_AMI_SECRET is not set/);
  assert.match(result.stderr, /note: env: secrets are read from this command's environment/);
});

test('validate of an unknown name lists the known ones', async (t) => {
  const dir = await twoProfiles(t);
  const result = await run(dir, ['validate', 'hamburg']);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    `${dir}: no profile named "hamburg" (hamburg.yaml); known profiles: berlin, munich\n`,
  );
});

test('activate and deactivate through the CLI', async (t) => {
  const dir = await tempDir(t);
  await writeProfile(dir, 'berlin', validProfile({ active: true }));
  const munich = await writeProfile(dir, 'munich', validProfile());

  const activated = await run(dir, ['activate', 'munich']);
  assert.equal(activated.code, 0, activated.stderr);
  assert.equal(
    activated.stdout,
    `deactivated: berlin\nprofile munich is now active (${munich}); a running daemon switches to it by itself\n`,
  );
  assert.equal(await readFile(munich, 'utf8'), validProfile({ active: true }));

  const again = await run(dir, ['activate', 'munich']);
  assert.equal(again.stdout, `profile munich is already active (${munich}); nothing changed\n`);

  const deactivated = await run(dir, ['deactivate', 'munich']);
  assert.equal(deactivated.code, 0);
  assert.match(deactivated.stdout, /^profile munich is no longer active .*a running daemon goes idle\n$/);
  assert.equal((await run(dir, ['list'])).stdout.includes('no configuration profile is active'), true);
});

test('activate refuses an invalid profile, printing its problems, and changes nothing', async (t) => {
  const dir = await twoProfiles(t);
  const result = await run(dir, ['activate', 'munich']);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    [
      `${dir}/munich.yaml: not activated: the profile has 2 problems; fix them and try again`,
      `${dir}/munich.yaml: pbx.port: must be at least 1 (got 0)`,
      `${dir}/munich.yaml: lookup.defaultCountry: must be an ISO 3166-1 alpha-2 country code in capitals, like DE (got "Germany")`,
      '',
    ].join('\n'),
  );
  assert.equal(await readFile(`${dir}/berlin.yaml`, 'utf8'), validProfile({ active: true }));
});

test('activate refuses an unknown profile', async (t) => {
  const dir = await twoProfiles(t);
  const result = await run(dir, ['activate', 'hamburg']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /no profile named "hamburg" \(hamburg\.yaml\); known profiles: berlin, munich/);
});

test('wrong usage prints the usage and exits 2', async (t) => {
  const dir = await tempDir(t);
  for (const args of [[], ['frobnicate'], ['activate'], ['deactivate', 'a', 'b'], ['list', 'x']]) {
    const result = await run(dir, args);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, /usage: cti-bridge config <command>/);
    assert.equal(result.stdout, '');
  }
  const help = await run(dir, ['help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /activate <name> {6}make <name> the only active profile/);
});

test('a missing config directory is reported, not thrown', async (t) => {
  const dir = await tempDir(t);
  const result = await run(`${dir}/missing`, ['list']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /the config directory does not exist/);
});

test('no secret value reaches the CLI output, even for literal secrets', async (t) => {
  const dir = await tempDir(t);
  const literal = 'Cli-Literal-Secret-1234';
  await writeProfile(
    dir,
    'berlin',
    validProfile().replace('secret: env:CTI_AMI_SECRET', `secret: ${literal}`),
  );
  await writeProfile(dir, 'munich', validProfile());
  const outputs = await Promise.all([
    run(dir, ['list']),
    run(dir, ['validate']),
    run(dir, ['activate', 'berlin']),
  ]);
  const all = outputs.map((o) => o.stdout + o.stderr).join('\n');
  assert.match(all, /literal secrets are not allowed/);
  assert.deepEqual(secretsIn(all, [literal]), []);
});
