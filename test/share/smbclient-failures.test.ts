import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ShareError } from '../../src/share/share-transport.ts';
import { captureLogs } from '../support/log-capture.ts';
import { freePort } from '../support/redis-server.ts';
import { type SambaServer, sambaSkipReason, startSamba } from '../support/samba-server.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';
import {
  childProcesses,
  failureOf,
  localDir,
  randomFile,
  sha256,
  transportFor,
  waitFor,
} from './smb-fixtures.ts';

const skip = sambaSkipReason();
const PASSWORD = TEST_SECRETS.sharePassword;
const MB = 1024 * 1024;
const BIG = 300 * MB;

/** Size of a file under the share, 0 while it is not there. */
function sizeOn(samba: SambaServer, remote: string): number {
  try {
    return statSync(join(samba.shareDir, remote)).size;
  } catch {
    return 0;
  }
}

describe('smbclient transport when the share fails', { skip }, () => {
  const logs = captureLogs();
  const dir = localDir();
  let big: string;

  before(() => {
    big = randomFile(dir, 'big.wav', BIG, 3);
  });

  describe('smbd goes away and comes back', () => {
    let samba: SambaServer;
    before(async () => {
      samba = await startSamba({ password: PASSWORD });
    });
    after(async () => {
      await samba?.stop();
    });

    test('stopped mid-transfer: unreachable, nothing under the final name; after a restart the copy succeeds', async () => {
      const transport = transportFor(samba, logs.logger, PASSWORD);
      try {
        const small = randomFile(dir, 'after.wav', 1_000, 4);
        const copying = transport.copy([
          { localFile: big, remotePath: 'gone/big.wav', size: BIG },
          { localFile: small, remotePath: 'gone/after.wav', size: 1_000 },
        ]);
        assert.ok(
          await waitFor(() => sizeOn(samba, 'gone/big.wav.partial') > 10 * MB, 20_000),
          'upload started',
        );
        await samba.halt();
        const outcomes = await copying;
        assert.equal(failureOf(outcomes[0]).kind, 'unreachable');
        assert.match(failureOf(outcomes[0]).message, /cannot reach smb:\/\/127\.0\.0\.1:\d+\/recordings/);
        assert.equal(failureOf(outcomes[1]).kind, 'unreachable');
        assert.equal(existsSync(join(samba.shareDir, 'gone/big.wav')), false, 'no file under the final name');
        assert.equal(existsSync(join(samba.shareDir, 'gone/after.wav')), false);

        await assert.rejects(transport.list('gone'), (error: ShareError) => error.kind === 'unreachable');

        await samba.restart();
        const again = await transport.copy([{ localFile: big, remotePath: 'gone/big.wav', size: BIG }]);
        assert.deepEqual(
          again.map((o) => (o.ok ? o.remoteSize : o.error.message)),
          [BIG],
        );
        assert.equal(await sha256(join(samba.shareDir, 'gone/big.wav')), await sha256(big));
        assert.deepEqual(
          readdirSync(join(samba.shareDir, 'gone')),
          ['big.wav'],
          'the old temporary file was replaced',
        );
      } finally {
        await transport.close();
      }
    });

    test('abort: smbclient is killed at once, the outcome is aborted, no final name', async () => {
      const transport = transportFor(samba, logs.logger, PASSWORD);
      try {
        const controller = new AbortController();
        const copying = transport.copy(
          [{ localFile: big, remotePath: 'abort/big.wav', size: BIG }],
          controller.signal,
        );
        assert.ok(
          await waitFor(() => sizeOn(samba, 'abort/big.wav.partial') > 10 * MB, 20_000),
          'upload started',
        );
        const children = childProcesses('smbclient').map((c) => c.pid);
        assert.ok(children.length > 0);
        const aborted = Date.now();
        controller.abort();
        const outcomes = await copying;
        assert.ok(Date.now() - aborted < 2_000, 'stopped promptly');
        assert.equal(failureOf(outcomes[0]).kind, 'aborted');
        for (const pid of children)
          assert.equal(existsSync(`/proc/${pid}`), false, `smbclient ${pid} is gone`);
        assert.equal(existsSync(join(samba.shareDir, 'abort/big.wav')), false);
        await assert.rejects(
          transport.list('abort', controller.signal),
          (error: ShareError) => error.kind === 'aborted',
        );
      } finally {
        await transport.close();
      }
    });

    test('a server that stops answering: timeout within the bound', async () => {
      const transport = transportFor(samba, logs.logger, PASSWORD, { timeoutMs: 1_500 });
      samba.pause();
      try {
        const started = Date.now();
        await assert.rejects(transport.list(''), (error: ShareError) => {
          assert.equal(error.kind, 'timeout');
          assert.match(error.message, /no answer from smb:\/\/127\.0\.0\.1:\d+\/recordings/);
          return true;
        });
        assert.ok(Date.now() - started < 4_000, 'bounded by timeoutMs');
      } finally {
        samba.resume();
        await transport.close();
      }
    });
  });

  test('nothing listening: unreachable, "connection refused"', async () => {
    const port = await freePort();
    const transport = transportFor(
      { host: '127.0.0.1', port, share: 'recordings', user: 'daemon' },
      logs.logger,
      PASSWORD,
    );
    try {
      const file = randomFile(dir, 'r.wav', 10, 5);
      await assert.rejects(
        transport.copy([{ localFile: file, remotePath: 'r.wav', size: 10 }]),
        (error: ShareError) => {
          assert.equal(error.kind, 'unreachable');
          assert.match(
            error.message,
            /^cannot reach smb:\/\/127\.0\.0\.1:\d+\/recordings: connection refused/,
          );
          return true;
        },
      );
    } finally {
      await transport.close();
    }
  });

  describe('a full share', () => {
    let samba: SambaServer;
    const LIMIT = 8 * MB;
    before(async () => {
      // smbd may not write more than LIMIT bytes into one file: EFBIG, answered as DISK_FULL.
      samba = await startSamba({ password: PASSWORD, maxFileBytes: LIMIT });
    });
    after(async () => {
      await samba?.stop();
    });

    test('kind full; no file under the final name, the temporary file removed; smaller files still go', async () => {
      const transport = transportFor(samba, logs.logger, PASSWORD);
      try {
        const large = randomFile(dir, 'large.wav', 20 * MB, 6);
        const small = randomFile(dir, 'fits.wav', 100_000, 7);
        const outcomes = await transport.copy([
          { localFile: large, remotePath: 'full/large.wav', size: 20 * MB },
          { localFile: small, remotePath: 'full/fits.wav', size: 100_000 },
        ]);
        const error = failureOf(outcomes[0]);
        assert.equal(error.kind, 'full');
        assert.match(error.message, /^no space left on the share on smb:\/\/127\.0\.0\.1:\d+\/recordings/);
        // The full disk took the SMB connection with it: the next file was not tried.
        assert.equal(failureOf(outcomes[1]).kind, 'full');
        assert.equal(existsSync(join(samba.shareDir, 'full/large.wav')), false);
        // Deleted on the publish connection; smbd removes it once the dead upload connection's
        // handle is closed, which can take a moment.
        assert.ok(
          await waitFor(() => readdirSync(join(samba.shareDir, 'full')).length === 0, 3_000),
          'temporary file removed',
        );

        const next = await transport.copy([{ localFile: small, remotePath: 'full/fits.wav', size: 100_000 }]);
        assert.equal(next[0]?.ok, true);
      } finally {
        await transport.close();
      }
    });
  });
});
