import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createShareTransport } from '../../src/share/create-share-transport.ts';
import { LocalDirTransport } from '../../src/share/local-dir-transport.ts';
import { SmbclientTransport } from '../../src/share/smbclient-transport.ts';
import { Secret } from '../../src/util/secret.ts';
import { captureLogs } from '../support/log-capture.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';

const logs = captureLogs();
const password = new Secret(TEST_SECRETS.sharePassword, 'env:CTI_SHARE_PASSWORD');

test('smb:// goes to smbclient; the name carries host, port (445 by default) and share, never credentials', async () => {
  const withPort = createShareTransport(
    { target: 'smb://nas.example:4450/recordings', domain: 'CORP', username: 'svc', password },
    logs.logger,
  );
  const plain = createShareTransport(
    { target: 'SMB://nas.example/Aufnahmen/', username: 'svc', password },
    logs.logger,
  );
  try {
    assert.ok(withPort instanceof SmbclientTransport);
    assert.equal(withPort.name, 'smb://nas.example:4450/recordings');
    assert.equal(plain.name, 'smb://nas.example:445/Aufnahmen');
    for (const name of [withPort.name, plain.name]) assert.equal(name.includes('svc'), false);
  } finally {
    await withPort.close();
    await plain.close();
  }
});

test('an absolute directory goes to the local transport', () => {
  const transport = createShareTransport({ target: '/mnt/recordings' }, logs.logger);
  assert.ok(transport instanceof LocalDirTransport);
  assert.equal(transport.name, '/mnt/recordings');
});

test('anything else, or smb:// without credentials, is refused by name', () => {
  assert.throws(
    () => createShareTransport({ target: 'recordings' }, logs.logger),
    /must be smb:\/\/host\[:port\]\/share or an absolute directory/,
  );
  assert.throws(
    () => createShareTransport({ target: 'smb://nas/', username: 'u', password }, logs.logger),
    /must be smb:\/\/host\[:port\]\/share/,
  );
  assert.throws(
    () => createShareTransport({ target: 'smb://nas/a/b', username: 'u', password }, logs.logger),
    /must be smb:\/\/host\[:port\]\/share/,
  );
  assert.throws(
    () => createShareTransport({ target: 'smb://nas/a' }, logs.logger),
    /needs share\.username and share\.password/,
  );
});
