import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalDirTransport } from '../../src/share/local-dir-transport.ts';
import type { ShareError } from '../../src/share/share-transport.ts';
import { captureLogs } from '../support/log-capture.ts';
import { failureOf, localDir, randomFile, sha256, waitFor } from './smb-fixtures.ts';

const MB = 1024 * 1024;
const logs = captureLogs();

function setup() {
  const local = localDir();
  const root = join(localDir(), 'share');
  mkdirSync(root);
  return { local, root, transport: new LocalDirTransport({ root, logger: logs.logger }) };
}

test('nested folders are created; bytes arrive whole; list() shows sizes, no temporary names', async () => {
  const { local, root, transport } = setup();
  const big = randomFile(local, 'big.wav', 20 * MB, 1);
  const small = randomFile(local, 'small.wav', 777, 2);
  const day = 'Callcenter/RecordedCalls/2026/11/22';
  const outcomes = await transport.copy([
    { localFile: big, remotePath: `${day}/big.wav`, size: 20 * MB },
    { localFile: small, remotePath: `${day}/small.wav`, size: 777 },
  ]);
  assert.deepEqual(
    outcomes.map((o) => (o.ok ? o.remoteSize : o.error.message)),
    [20 * MB, 777],
  );
  assert.equal(await sha256(join(root, day, 'big.wav')), await sha256(big));
  assert.deepEqual(
    await transport.list(day),
    new Map([
      ['big.wav', 20 * MB],
      ['small.wav', 777],
    ]),
  );
  assert.deepEqual(
    await transport.list('Callcenter/RecordedCalls/2026/11'),
    new Map(),
    'folders are not files',
  );
  assert.deepEqual(await transport.list('no/such'), new Map());
});

test('a second copy replaces the file of the same name', async () => {
  const { local, root, transport } = setup();
  const first = randomFile(local, 'a.wav', 5_000, 3);
  const second = randomFile(local, 'b.wav', 3_000, 4);
  assert.equal(
    (await transport.copy([{ localFile: first, remotePath: 'x/r.wav', size: 5_000 }]))[0]?.ok,
    true,
  );
  const again = await transport.copy([{ localFile: second, remotePath: 'x/r.wav', size: 3_000 }]);
  assert.equal(again[0]?.ok, true);
  assert.equal(await sha256(join(root, 'x/r.wav')), await sha256(second));
  assert.deepEqual(readdirSync(join(root, 'x')), ['r.wav']);
});

test('a recording that is not what the run expects never gets the final name', async () => {
  const { local, root, transport } = setup();
  const file = randomFile(local, 'short.wav', 1_000, 5);
  const outcomes = await transport.copy([
    { localFile: file, remotePath: 'y/short.wav', size: 2_000 }, // shrank since the run started
    { localFile: join(local, 'absent.wav'), remotePath: 'y/absent.wav', size: 10 },
    { localFile: local, remotePath: 'y/dir.wav', size: 10 }, // unreadable: a directory
  ]);
  for (const outcome of outcomes) assert.equal(failureOf(outcome).kind, 'other', outcome.item.remotePath);
  assert.match(failureOf(outcomes[0]).message, /1000 bytes written, the recording has 2000; not renamed/);
  assert.deepEqual(readdirSync(join(root, 'y')), [], 'no final name, no temporary file');
});

test('paths outside the share are refused', async () => {
  const { local, transport } = setup();
  const file = randomFile(local, 'p.wav', 10, 6);
  const outcomes = await transport.copy([
    { localFile: file, remotePath: '../escape.wav', size: 10 },
    { localFile: file, remotePath: '/abs.wav', size: 10 },
  ]);
  for (const outcome of outcomes) assert.equal(failureOf(outcome).kind, 'other');
  await assert.rejects(transport.list('../..'), (error: ShareError) => error.kind === 'other');
});

test('a share directory that is not there: unreachable, "share not mounted?", and it is not created', async () => {
  const { local, root } = setup();
  const missing = join(root, 'not-mounted');
  const transport = new LocalDirTransport({ root: missing, logger: logs.logger });
  const file = randomFile(local, 'm.wav', 10, 7);
  for (const attempt of [
    () => transport.list(''),
    () => transport.copy([{ localFile: file, remotePath: 'a/m.wav', size: 10 }]),
  ]) {
    await assert.rejects(attempt(), (error: ShareError) => {
      assert.equal(error.kind, 'unreachable');
      assert.match(error.message, /does not exist: share not mounted\?/);
      return true;
    });
  }
  assert.deepEqual(readdirSync(root), []);
});

test('abort: the copy stops, nothing stays behind', async () => {
  const { local, root, transport } = setup();
  const big = randomFile(local, 'big.wav', 64 * MB, 8);
  const controller = new AbortController();
  const copying = transport.copy(
    [
      { localFile: big, remotePath: 'z/big.wav', size: 64 * MB },
      { localFile: big, remotePath: 'z/big2.wav', size: 64 * MB },
    ],
    controller.signal,
  );
  assert.ok(await waitFor(() => existsSync(join(root, 'z/big.wav.partial')), 5_000), 'copy started');
  controller.abort();
  const outcomes = await copying;
  assert.deepEqual(
    outcomes.map((o) => (o.ok ? 'ok' : o.error.kind)),
    ['aborted', 'aborted'],
  );
  assert.deepEqual(readdirSync(join(root, 'z')), []);
  await assert.rejects(
    transport.list('z', controller.signal),
    (error: ShareError) => error.kind === 'aborted',
  );
});

// Root ignores file modes; the immutable attribute stops root too (ext4, xfs, btrfs).
const immutable = (dir: string) => spawnSync('chattr', ['+i', dir], { stdio: 'ignore' }).status === 0;

test('a folder nobody may write: kind denied', async (t) => {
  const { local, root, transport } = setup();
  const locked = join(root, 'locked');
  mkdirSync(locked);
  if (!immutable(locked)) {
    t.skip('chattr +i is not available on this file system');
    return;
  }
  try {
    writeFileSync(join(local, 'd.wav'), 'x');
    const outcomes = await transport.copy([
      { localFile: join(local, 'd.wav'), remotePath: 'locked/d.wav', size: 1 },
    ]);
    assert.equal(failureOf(outcomes[0]).kind, 'denied');
    assert.match(failureOf(outcomes[0]).message, /^permission denied/);
  } finally {
    spawnSync('chattr', ['-i', locked], { stdio: 'ignore' });
    rmSync(locked, { recursive: true, force: true });
  }
});
