import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ShareError } from '../../src/share/share-transport.ts';
import { captureLogs } from '../support/log-capture.ts';
import { freePort } from '../support/redis-server.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';
import { transportFor } from './smb-fixtures.ts';

// Its own file: stale folders are swept once per process, by the first transport that needs one.

test('authentication folders of processes that are gone are removed; live ones and our own are kept', async () => {
  const dead = spawnSync('true').pid; // exited: its pid names no process now
  assert.ok(dead);
  const stale = join(tmpdir(), `cti-smb-${dead}-test01`);
  const living = join(tmpdir(), 'cti-smb-1-test02'); // pid 1 always exists
  for (const dir of [stale, living]) {
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, 'auth'), 'username = x\npassword = y\n', { mode: 0o600 });
  }
  const logs = captureLogs();
  const transport = transportFor(
    { host: '127.0.0.1', port: await freePort(), share: 'recordings', user: 'daemon' },
    logs.logger,
    TEST_SECRETS.sharePassword,
  );
  try {
    // Nothing listens there: the attempt fails, but only after the authentication file was made.
    await assert.rejects(transport.list(''), (error: ShareError) => error.kind === 'unreachable');
    assert.equal(existsSync(stale), false, 'stale folder removed');
    assert.equal(existsSync(living), true, 'a living process keeps its folder');
    const ours = readdirSync(tmpdir()).filter((name) => name.startsWith(`cti-smb-${process.pid}-`));
    assert.equal(ours.length, 1, 'our own folder exists');
  } finally {
    await transport.close();
    rmSync(living, { recursive: true, force: true });
  }
  assert.equal(
    readdirSync(tmpdir()).some((name) => name.startsWith(`cti-smb-${process.pid}-`)),
    false,
    'ours removed by close()',
  );
});
