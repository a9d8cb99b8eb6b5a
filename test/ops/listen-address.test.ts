import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadProfile } from '../../src/config/load-profile.ts';
import {
  clientUrl,
  DEFAULT_LISTEN,
  daemonListen,
  effectiveListen,
  parseListen,
} from '../../src/ops/listen-address.ts';
import { SECRET_ENV, tempDir, validProfile, writeProfile } from '../config/fixtures.ts';

test('--listen / CTI_BRIDGE_LISTEN: address:port, IPv6 in brackets, clear errors', () => {
  assert.deepEqual(parseListen('127.0.0.1:9464'), { address: '127.0.0.1', port: 9464 });
  assert.deepEqual(parseListen('[::1]:0'), { address: '::1', port: 0 });
  assert.throws(() => parseListen('9464'), /"9464" is not <address>:<port>; write it like 127\.0\.0\.1:9464/);
  assert.throws(() => parseListen('localhost:9464'), /"localhost" is not an IP address/);
  assert.throws(() => parseListen('127.0.0.1:70000'), /port 70000 is out of range/);
  assert.throws(() => parseListen('[127.0.0.1]:1'), /only IPv6 addresses go in brackets/);
  assert.equal(daemonListen(undefined, ''), undefined, 'an empty variable counts as unset');
  assert.deepEqual(
    daemonListen('127.0.0.2:1', '127.0.0.3:2'),
    { address: '127.0.0.2', port: 1 },
    'the flag wins',
  );
  assert.throws(() => daemonListen(undefined, 'x'), /^Error: CTI_BRIDGE_LISTEN: /);
  assert.throws(() => daemonListen(null, undefined), /--listen needs a value/);
});

test('the daemon setting wins over the profile, the profile over the loopback default', () => {
  const daemon = { address: '127.0.0.2', port: 1 };
  const profile = { address: '0.0.0.0', port: 2 };
  assert.equal(effectiveListen(daemon, profile), daemon);
  assert.equal(effectiveListen(undefined, profile), profile);
  assert.deepEqual(effectiveListen(undefined, undefined), { address: '127.0.0.1', port: 9464 });
  assert.equal(DEFAULT_LISTEN.address, '127.0.0.1');
  assert.equal(clientUrl(profile), 'http://127.0.0.1:2', 'a wildcard address is reached on loopback');
  assert.equal(clientUrl({ address: '::', port: 3 }), 'http://[::1]:3');
});

test('profile keys operations.address/port: loopback 9464 by default, an IP only, a warning off loopback', async (t) => {
  const dir = await tempDir(t);
  const load = async (extra: string) =>
    loadProfile(await writeProfile(dir, 'berlin', `${validProfile()}${extra}`), { env: SECRET_ENV });
  const plain = await load('');
  assert.deepEqual(plain.profile?.operations, { address: '127.0.0.1', port: 9464 });
  assert.deepEqual(plain.warnings, []);

  const named = await load('operations:\n  address: localhost\n  port: 70000\n');
  assert.deepEqual(named.errors, [
    `${named.file}: operations.address: must be an IP address, like 127.0.0.1 (loopback only) or 0.0.0.0 (every interface) (got "localhost")`,
    `${named.file}: operations.port: must be at most 65535 (got 70000)`,
  ]);

  const open = await load('operations:\n  address: 0.0.0.0\n');
  assert.deepEqual(open.errors, []);
  assert.deepEqual(open.warnings, [
    `${open.file}: operations.address: the health, metrics and status listener has no authentication: keep it behind a firewall that lets only the monitoring host in`,
  ]);
});
