import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  clientUrl,
  DEFAULT_LISTEN,
  daemonListen,
  effectiveListen,
  parseListen,
} from '../../src/ops/listen-address.ts';

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
