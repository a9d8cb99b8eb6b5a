import assert from 'node:assert/strict';
import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { activateProfile, deactivateProfile } from '../../src/config/activation.ts';
import { loadConfigDir } from '../../src/config/config-dir.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { SECRET_ENV, tempDir, validProfile, writeProfile } from './fixtures.ts';

/** A profile laid out the way admins do it, with things a re-serialiser would change. */
const HAND_WRITTEN = `${validProfile()}
# long line that yaml's own stringifier would fold at 80 columns:
tickets:
  subject:   "Call from {callerNumber} — please pick up the phone and help them, whatever they need today"
  tags: [ cti-bridge,phone ]     # odd spacing kept


logging: {level: debug}
`;

test('activate then deactivate changes only the active value and restores the file byte for byte', async (t) => {
  const dir = await tempDir(t);
  const file = await writeProfile(dir, 'berlin', HAND_WRITTEN);
  await chmod(file, 0o640);

  const activated = await activateProfile(dir, 'berlin', { env: SECRET_ENV });
  assert.equal(activated.changed, true);
  const afterActivate = await readFile(file, 'utf8');
  assert.equal(afterActivate, HAND_WRITTEN.replace('active: false', 'active: true'));
  assert.equal((await stat(file)).mode & 0o777, 0o640);

  const deactivated = await deactivateProfile(dir, 'berlin');
  assert.equal(deactivated.changed, true);
  assert.equal(await readFile(file, 'utf8'), HAND_WRITTEN);
  assert.deepEqual(await readdir(dir), ['berlin.yaml'], 'no temp file is left behind');
});

test('activation persists: a fresh load sees the profile active', async (t) => {
  const dir = await tempDir(t);
  await writeProfile(dir, 'berlin', validProfile());
  await activateProfile(dir, 'berlin');
  const state = await loadConfigDir(dir, { env: SECRET_ENV });
  assert.equal(state.active.kind === 'one' && state.active.profile.name, 'berlin');
});

test('activating deactivates every other profile, and does so before activating the target', async (t) => {
  const dir = await tempDir(t);
  const a = await writeProfile(dir, 'a', validProfile({ active: true }));
  const b = await writeProfile(dir, 'b', validProfile({ active: true }));
  const c = await writeProfile(dir, 'c', validProfile());
  const result = await activateProfile(dir, 'c', { env: SECRET_ENV });
  assert.deepEqual(result.deactivated, ['a', 'b']);
  const state = await loadConfigDir(dir, { env: SECRET_ENV });
  assert.deepEqual(
    state.profiles.map((p) => [p.name, p.active]),
    [
      ['a', false],
      ['b', false],
      ['c', true],
    ],
  );
  const mtime = async (file: string) => (await stat(file, { bigint: true })).mtimeNs;
  assert.ok((await mtime(a)) <= (await mtime(c)) && (await mtime(b)) <= (await mtime(c)));
});

test('activating the active profile again changes nothing', async (t) => {
  const dir = await tempDir(t);
  const file = await writeProfile(dir, 'berlin', validProfile({ active: true }));
  const before = await stat(file, { bigint: true });
  const result = await activateProfile(dir, 'berlin', { env: SECRET_ENV });
  assert.equal(result.changed, false);
  assert.equal((await stat(file, { bigint: true })).mtimeNs, before.mtimeNs);
  const again = await deactivateProfile(dir, 'berlin');
  assert.equal(again.changed, true);
  assert.equal((await deactivateProfile(dir, 'berlin')).changed, false);
});

test('an unknown profile is refused, listing the known ones', async (t) => {
  const dir = await tempDir(t);
  await writeProfile(dir, 'berlin', validProfile());
  await writeProfile(dir, 'munich', validProfile());
  for (const action of [() => activateProfile(dir, 'hamburg'), () => deactivateProfile(dir, 'hamburg')]) {
    await assert.rejects(action(), (error) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems, [
        `${dir}: no profile named "hamburg" (hamburg.yaml); known profiles: berlin, munich`,
      ]);
      return true;
    });
  }
});

test('an invalid profile is refused with its problems and nothing is written', async (t) => {
  const dir = await tempDir(t);
  const active = await writeProfile(dir, 'berlin', validProfile({ active: true }));
  const broken = validProfile().replace('  port: 5038', '  port: 99999');
  const file = await writeProfile(dir, 'munich', broken);
  await assert.rejects(activateProfile(dir, 'munich', { env: SECRET_ENV }), (error) => {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems, [
      `${file}: not activated: the profile has 1 problem; fix them and try again`,
      `${file}: pbx.port: must be at most 65535 (got 99999)`,
    ]);
    return true;
  });
  assert.equal(await readFile(file, 'utf8'), broken);
  assert.equal(
    await readFile(active, 'utf8'),
    validProfile({ active: true }),
    'the running profile stays active',
  );
});

test('with an environment, a secret missing from it makes the profile invalid for activation', async (t) => {
  const dir = await tempDir(t);
  await writeProfile(dir, 'berlin', validProfile());
  await assert.rejects(activateProfile(dir, 'berlin', { env: {} }), ConfigError);
  assert.equal((await activateProfile(dir, 'berlin')).changed, true, 'without one, only the form is checked');
});

test('a profile whose YAML is broken can be neither activated nor edited, and is not active', async (t) => {
  const dir = await tempDir(t);
  const file = await writeProfile(dir, 'berlin', 'active: true\npbx: [\n');
  await assert.rejects(activateProfile(dir, 'berlin'), ConfigError);
  assert.equal((await deactivateProfile(dir, 'berlin')).changed, false);
  await writeFile(file, 'active: false\n');
  assert.equal((await deactivateProfile(dir, 'berlin')).changed, false);
});
