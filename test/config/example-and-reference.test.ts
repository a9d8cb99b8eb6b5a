import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { readmeReferenceIsCurrent, renderConfigurationDoc } from '../../src/config/configuration-doc.ts';
import { loadProfile } from '../../src/config/load-profile.ts';
import { profileFields } from '../../src/config/schema-walk.ts';
import { SECRET_ENV } from './fixtures.ts';

const root = path.resolve(import.meta.dirname, '../..');
const REGENERATE = 'run node scripts/gen-config-reference.ts';

test('config/example.yaml is a valid, inactive profile when the variables it names are set', async () => {
  const result = await loadProfile(path.join(root, 'config/example.yaml'), { env: SECRET_ENV });
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.warnings, []);
  assert.equal(result.active, false, 'the sample must never be active');
  assert.ok(result.profile?.share, 'the sample shows the optional share section');
});

test('config/example.yaml sets every key of the schema except alternatives and refused ones', async () => {
  const text = await readFile(path.join(root, 'config/example.yaml'), 'utf8');
  // Alternatives to a key the sample sets, and asteriskDirectory, which only a split set-up needs (shown commented).
  const alternatives = ['subdomain', 'email', 'token', 'password', 'asteriskDirectory'];
  const missing = profileFields()
    .map((field) => field.path.at(-1)!)
    .filter((key) => key !== '*' && !alternatives.includes(key))
    .filter((key) => !new RegExp(`^\\s*${key}:`, 'm').test(text));
  assert.deepEqual(missing, []);
});

test('docs/configuration.md matches the schema', async () => {
  const doc = await readFile(path.join(root, 'docs/configuration.md'), 'utf8');
  assert.ok(
    doc === renderConfigurationDoc(),
    `docs/configuration.md is out of date with the schema; ${REGENERATE}`,
  );
});

test("README.md's configuration reference matches the schema", async () => {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  assert.ok(
    readmeReferenceIsCurrent(readme),
    `the configuration reference in README.md is out of date; ${REGENERATE}`,
  );
});

test('every field of the schema is described, so the reference has no empty cell', () => {
  const undocumented = profileFields()
    .filter((field) => !field.schema.description)
    .map((field) => field.path.join('.'));
  assert.deepEqual(undocumented, []);
});
