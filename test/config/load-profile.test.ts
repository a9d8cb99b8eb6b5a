import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { loadProfile } from '../../src/config/load-profile.ts';
import { SecretRegistry } from '../../src/log/redact.ts';
import { Secret } from '../../src/util/secret.ts';
import { SECRET_ENV, secretsIn, tempDir, validProfile, writeProfile } from './fixtures.ts';

async function load(t: import('node:test').TestContext, yaml: string, env: NodeJS.ProcessEnv = SECRET_ENV) {
  const dir = await tempDir(t);
  const file = await writeProfile(dir, 'berlin', yaml);
  return { file, result: await loadProfile(file, { env }) };
}

test('a valid profile resolves with defaults, secrets as Secret objects and a normalised base URL', async (t) => {
  const secrets = new SecretRegistry();
  const dir = await tempDir(t);
  const file = await writeProfile(dir, 'berlin', validProfile({ active: true }));
  const result = await loadProfile(file, { env: SECRET_ENV, secrets });
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.warnings, []);
  assert.equal(result.valid, true);
  assert.equal(result.active, true);
  assert.equal(result.name, 'berlin');
  assert.equal(result.file, file);
  const profile = result.profile!;
  assert.equal(profile.name, 'berlin');
  assert.equal(profile.zendesk.baseUrl, 'https://acme.zendesk.com');
  assert.equal('url' in profile.zendesk, false);
  assert.ok(profile.pbx.secret instanceof Secret);
  assert.equal(profile.pbx.secret.reveal(), SECRET_ENV.CTI_AMI_SECRET);
  assert.equal(profile.pbx.secret.source, 'env:CTI_AMI_SECRET');
  assert.equal(profile.zendesk.auth.type, 'oauth');
  if (profile.zendesk.auth.type === 'oauth') {
    assert.equal(profile.zendesk.auth.clientSecret.reveal(), SECRET_ENV.CTI_ZENDESK_CLIENT_SECRET);
  }
  assert.deepEqual(profile.queues.sales, { record: true });
  assert.equal(profile.wrapUpSeconds, 30);
  assert.deepEqual(profile.cache, { store: 'memory', positiveTtlSeconds: 86_400, negativeTtlSeconds: 300 });
  assert.deepEqual(profile.logging, { level: 'info', format: 'auto' });
  assert.equal(profile.share, undefined);
  // printing the resolved profile shows no secret
  assert.deepEqual(secretsIn(JSON.stringify(profile)), []);
  // every resolved value went into the registry, so the logger redacts it
  assert.equal(secrets.size, 4);
  assert.equal(secrets.scrub(`token ${SECRET_ENV.CTI_ZENDESK_ACCESS_TOKEN}`), 'token [redacted]');
});

test('a subdomain becomes the https base URL', async (t) => {
  const yaml = validProfile().replace('url: https://acme.zendesk.com/', 'subdomain: acme');
  const { result } = await load(t, yaml);
  assert.deepEqual(result.errors, []);
  assert.equal(result.profile?.zendesk.baseUrl, 'https://acme.zendesk.com');
});

test('bad YAML is reported with line and column, and nothing else is checked', async (t) => {
  const yaml = validProfile()
    .replace('  username: bridge', '  username: bridge: extra')
    .replace('port: 5038', 'port: -1');
  const { file, result } = await load(t, yaml);
  assert.equal(result.valid, false);
  assert.equal(result.active, false);
  assert.deepEqual(result.errors, [
    `${file}: line 7, column 13: YAML syntax error: Nested mappings are not allowed in compact mappings`,
  ]);
});

test('a duplicate key is a YAML error naming its line', async (t) => {
  const yaml = validProfile().replace('  port: 5038\n', '  port: 5038\n  port: 5039\n');
  const { file, result } = await load(t, yaml);
  assert.deepEqual(result.errors, [`${file}: line 7, column 3: YAML syntax error: Map keys must be unique`]);
});

test('an unknown key is an error with the closest known key suggested', async (t) => {
  const yaml = validProfile().replace('  port: 5038', '  prot: 5038');
  const { file, result } = await load(t, yaml);
  assert.deepEqual(result.errors, [`${file}: pbx.prot: unknown key; did you mean "port"? (got 5038)`]);
});

test('an unknown key with nothing close lists the keys that are allowed', async (t) => {
  const yaml = validProfile().replace('lookup:\n', 'lookup:\n  region: EU\n');
  const { file, result } = await load(t, yaml);
  assert.deepEqual(result.errors, [
    `${file}: lookup.region: unknown key; known keys here: defaultCountry, answerWaitMs, source, mirror (got "EU")`,
  ]);
});

test('a missing env secret names the variable', async (t) => {
  const { CTI_AMI_SECRET: _omitted, ...env } = SECRET_ENV;
  const { file, result } = await load(t, validProfile(), env);
  assert.equal(result.valid, false);
  assert.equal(result.profile, undefined);
  assert.deepEqual(result.errors, [
    `${file}: pbx.secret: environment variable CTI_AMI_SECRET is not set; set it in the daemon's environment (got "env:CTI_AMI_SECRET")`,
  ]);
});

test('an empty env secret is an error too', async (t) => {
  const { result } = await load(t, validProfile(), { ...SECRET_ENV, CTI_AMI_SECRET: '' });
  assert.match(result.errors[0] ?? '', /pbx\.secret: environment variable CTI_AMI_SECRET is empty;/);
});

test('an inline secret is refused without repeating its value', async (t) => {
  const literal = 'Sup3r-Literal-Passw0rd';
  const yaml = validProfile()
    .replace('secret: env:CTI_AMI_SECRET', `secret: ${literal}`)
    .replace('clientSecret: env:CTI_ZENDESK_CLIENT_SECRET', 'clientSecret: 123456789');
  const { file, result } = await load(t, yaml);
  assert.deepEqual(result.errors, [
    `${file}: pbx.secret: literal secrets are not allowed; write env:NAME or file:/path (got a literal value)`,
    `${file}: zendesk.auth.clientSecret: literal secrets are not allowed; write env:NAME or file:/path (got a literal value)`,
  ]);
  assert.deepEqual(secretsIn(result.errors.join('\n'), [literal, '123456789']), []);
});

test('a misspelt secret key does not echo its literal value either', async (t) => {
  const literal = 'Typo-Literal-Secret-99';
  const yaml = validProfile().replace(
    '  secret: env:CTI_AMI_SECRET',
    `  secret: env:CTI_AMI_SECRET\n  secrte: ${literal}`,
  );
  const { file, result } = await load(t, yaml);
  assert.deepEqual(result.errors, [
    `${file}: pbx.secrte: unknown key; did you mean "secret"? (got a literal value)`,
  ]);
});

test('a file secret is read, trimmed, registered, and warned about when others can read it', async (t) => {
  const dir = await tempDir(t);
  const secretFile = path.join(dir, 'ami-secret');
  await writeFile(secretFile, 'from-a-file-secret\n');
  await chmod(secretFile, 0o644);
  const file = await writeProfile(
    dir,
    'berlin',
    validProfile().replace('env:CTI_AMI_SECRET', `file:${secretFile}`),
  );
  const secrets = new SecretRegistry();
  const result = await loadProfile(file, { env: SECRET_ENV, secrets });
  assert.deepEqual(result.errors, []);
  assert.equal(result.profile?.pbx.secret.reveal(), 'from-a-file-secret');
  assert.equal(secrets.scrub('from-a-file-secret'), '[redacted]');
  assert.deepEqual(result.warnings, [
    `${file}: pbx.secret: secret file ${secretFile} is readable by group/others (mode 0644); chmod 600 it`,
  ]);

  await chmod(secretFile, 0o600);
  assert.deepEqual((await loadProfile(file, { env: SECRET_ENV })).warnings, []);
});

test('a missing or empty secret file is an error', async (t) => {
  const dir = await tempDir(t);
  const empty = path.join(dir, 'empty');
  await writeFile(empty, '\n', { mode: 0o600 });
  const yaml = validProfile()
    .replace('env:CTI_AMI_SECRET', `file:${dir}/missing`)
    .replace('env:CTI_ZENDESK_CLIENT_SECRET', `file:${empty}`)
    .replace('env:CTI_ZENDESK_REFRESH_TOKEN', 'file:relative/path');
  const file = await writeProfile(dir, 'berlin', yaml);
  const result = await loadProfile(file, { env: SECRET_ENV });
  assert.deepEqual(result.errors.toSorted(), [
    `${file}: pbx.secret: secret file ${dir}/missing does not exist (got "file:${dir}/missing")`,
    `${file}: zendesk.auth.clientSecret: secret file ${empty} is empty (got "file:${empty}")`,
    `${file}: zendesk.auth.refreshToken: file: needs an absolute path, like file:/etc/cti-bridge/ami-secret (got "file:relative/path")`,
  ]);
});

test('email and password auth is refused with the reason', async (t) => {
  const yaml = validProfile().replace(
    / {2}auth:\n( {4}.*\n)+/,
    '  auth:\n    type: password\n    email: admin@acme.example\n    password: Hunter2-Literal\n',
  );
  const { file, result } = await load(t, yaml);
  assert.deepEqual(result.errors, [
    `${file}: zendesk.auth.type: Zendesk switched off password access for the API in January 2026; use type: oauth (accessToken, refreshToken, clientId, clientSecret) (got "password")`,
  ]);
  assert.deepEqual(secretsIn(result.errors.join('\n'), ['Hunter2-Literal']), []);
});

test('a password key in an otherwise OAuth auth is refused the same way, without its value', async (t) => {
  const yaml = validProfile().replace(
    '    clientId: cti-bridge\n',
    '    clientId: cti-bridge\n    password: Hunter2-Literal\n',
  );
  const { file, result } = await load(t, yaml);
  assert.deepEqual(result.errors, [
    `${file}: zendesk.auth.password: Zendesk switched off password access for the API in January 2026; use type: oauth (accessToken, refreshToken, clientId, clientSecret) (got a literal value)`,
  ]);
});

test('an API token works with a warning that Zendesk retires them', async (t) => {
  const yaml = validProfile().replace(
    / {2}auth:\n( {4}.*\n)+/,
    '  auth:\n    type: apiToken\n    email: admin@acme.example\n    token: env:CTI_ZENDESK_API_TOKEN\n',
  );
  const { file, result } = await load(t, yaml);
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.warnings, [
    `${file}: zendesk.auth.type: Zendesk retires API tokens: none can be created from 27 Oct 2026 and all are deactivated on 30 Apr 2027; switch to type: oauth`,
  ]);
  assert.equal(result.profile?.zendesk.auth.type, 'apiToken');
});

test('an http URL is refused unless allowInsecureHttp is set', async (t) => {
  const http = validProfile().replace('https://acme.zendesk.com/', 'http://127.0.0.1:8080');
  const refused = await load(t, http);
  assert.deepEqual(refused.result.errors, [
    `${refused.file}: zendesk.url: must use https://; http:// is allowed only with allowInsecureHttp: true, for the built-in simulator (got "http://127.0.0.1:8080")`,
  ]);

  const allowed = await load(t, http.replace('  auth:\n', '  allowInsecureHttp: true\n  auth:\n'));
  assert.deepEqual(allowed.result.errors, []);
  assert.equal(allowed.result.profile?.zendesk.baseUrl, 'http://127.0.0.1:8080');
  assert.match(
    allowed.result.warnings.join('\n'),
    /zendesk\.url: plain http:\/\/ sends the Zendesk credentials unencrypted/,
  );
});

test('url and subdomain together, or neither, are refused', async (t) => {
  const both = await load(t, validProfile().replace('  auth:\n', '  subdomain: acme\n  auth:\n'));
  assert.deepEqual(both.result.errors, [
    `${both.file}: zendesk.subdomain: give either url or subdomain, not both (got "acme")`,
  ]);
  const neither = await load(t, validProfile().replace('  url: https://acme.zendesk.com/\n', ''));
  assert.deepEqual(neither.result.errors, [
    `${neither.file}: zendesk.url: required: url (https://acme.zendesk.com) or subdomain (acme) (got nothing)`,
  ]);
});

const SHARE = `share:
  target: smb://fileserver/recordings
  username: svc-cti
  password: env:CTI_SHARE_PASSWORD
  subdirectory: SUBDIR
`;

test('a share sub-directory with .. or backslashes is refused', async (t) => {
  for (const [subdir, message] of [
    ['Callcenter/../../etc', 'must not contain a .. segment'],
    ['"Callcenter\\\\Berlin"', 'use forward slashes (/), not backslashes'],
    ['/Callcenter', 'must be relative to the share: remove the leading slash'],
  ] as const) {
    const { file, result } = await load(t, validProfile() + SHARE.replace('SUBDIR', subdir));
    assert.equal(result.errors.length, 1, result.errors.join('\n'));
    assert.ok(
      result.errors[0]!.startsWith(`${file}: share.subdirectory: ${message} (got "`),
      result.errors[0],
    );
  }
  const ok = await load(t, validProfile() + SHARE.replace('SUBDIR', 'Callcenter/Berlin'));
  assert.deepEqual(ok.result.errors, []);
  assert.equal(ok.result.profile?.share?.password?.reveal(), SECRET_ENV.CTI_SHARE_PASSWORD);
  assert.equal(ok.result.profile?.share?.schedule, '*/15 * * * *');
});

test('an smb share needs user and password; a local one takes neither', async (t) => {
  const smb = await load(
    t,
    `${validProfile()}share:\n  target: smb://fileserver/recordings\n  schedule: "*/5 * *"\n`,
  );
  assert.deepEqual(smb.result.errors, [
    `${smb.file}: share.schedule: is not a valid cron expression (expected 5 or 6 fields but got 3); write 5 fields, minute hour day month weekday, like "*/15 * * * *" (got "*/5 * *")`,
    `${smb.file}: share.username: required for an smb:// target (got nothing)`,
    `${smb.file}: share.password: required for an smb:// target (got nothing)`,
  ]);
  const local = await load(t, `${validProfile()}share:\n  target: /mnt/recordings\n  username: svc-cti\n`);
  assert.deepEqual(local.result.errors, [
    `${local.file}: share.username: only used with an smb:// target; the OS mounts a local directory, so remove it (got "svc-cti")`,
  ]);
});

test('every problem of a file is reported at once', async (t) => {
  const literal = 'Inline-Secret-At-Once';
  const yaml = validProfile()
    .replace('active: false', 'active: yes')
    .replace('  port: 5038', '  port: 70000')
    .replace('secret: env:CTI_AMI_SECRET', `secret: ${literal}`)
    .replace('env:CTI_ZENDESK_ACCESS_TOKEN', 'env:CTI_NOT_SET')
    .replace('  sales: { record: true }', '  sales: { record: true, recrod: false }')
    .replace('defaultCountry: DE', 'defaultCountry: de')
    .replace('/var/spool/asterisk/monitor/cti-bridge', 'spool/recordings')
    .concat('logging: { level: verbose }\nwrapUpSecs: 5\n');
  const { file, result } = await load(t, yaml);
  assert.deepEqual(result.errors, [
    `${file}: active: expected true or false (got "yes")`,
    `${file}: pbx.port: must be at most 65535 (got 70000)`,
    `${file}: pbx.secret: literal secrets are not allowed; write env:NAME or file:/path (got a literal value)`,
    `${file}: queues.sales.recrod: unknown key; did you mean "record"? (got false)`,
    `${file}: lookup.defaultCountry: must be an ISO 3166-1 alpha-2 country code in capitals, like DE (got "de")`,
    `${file}: recordings.directory: must be an absolute path (starting with /) (got "spool/recordings")`,
    `${file}: logging.level: must be one of error, warn, info, debug (got "verbose")`,
    `${file}: wrapUpSecs: unknown key; did you mean "wrapUpSeconds"? (got 5)`,
    `${file}: zendesk.auth.accessToken: environment variable CTI_NOT_SET is not set; set it in the daemon's environment (got "env:CTI_NOT_SET")`,
  ]);
  assert.deepEqual(secretsIn(result.errors.join('\n'), [literal]), []);
});

test('missing sections are named, and an empty file says where to start', async (t) => {
  const missing = await load(t, 'active: false\n');
  assert.deepEqual(missing.result.errors, [
    `${missing.file}: pbx: required section is missing (got nothing)`,
    `${missing.file}: zendesk: required section is missing (got nothing)`,
    `${missing.file}: unknownCallers: required section is missing; set strategy: defaultUser or newUser (got nothing)`,
    `${missing.file}: queues: required section is missing (got nothing)`,
    `${missing.file}: lookup: required section is missing (got nothing)`,
    `${missing.file}: recordings: required section is missing (got nothing)`,
  ]);
  const empty = await load(t, '# nothing yet\n');
  assert.deepEqual(empty.result.errors, [
    `${empty.file}: (top level): the file is empty; start from config/example.yaml (got nothing)`,
  ]);
});

test('long values are cut short in messages', async (t) => {
  const { result } = await load(
    t,
    validProfile().replace('defaultCountry: DE', `defaultCountry: ${'X'.repeat(200)}`),
  );
  const got = /\(got (.*)\)$/.exec(result.errors[0] ?? '')?.[1] ?? '';
  assert.ok(got.length <= 60 && got.endsWith('…'), got);
});

test('without an environment secrets are only checked for their form', async (t) => {
  const dir = await tempDir(t);
  const file = await writeProfile(dir, 'berlin', validProfile());
  const result = await loadProfile(file, {});
  assert.equal(result.valid, true);
  assert.equal(result.profile, undefined);
});

test('paths that would break an AMI line or an smbclient command are refused', async (t) => {
  const yaml = validProfile()
    .replace(
      'directory: /var/spool/asterisk/monitor/cti-bridge',
      'directory: "/var/spool/rec\\nAction: Originate"',
    )
    .concat('stateDirectory: "/var/lib/a;b"\n');
  const { file, result } = await load(t, yaml);
  assert.deepEqual(result.errors, [
    `${file}: stateDirectory: must not contain control characters, double quotes or semicolons (got "/var/lib/a;b")`,
    `${file}: recordings.directory: must not contain control characters, double quotes or semicolons (got "/var/spool/rec\\nAction: Originate")`,
  ]);
});
