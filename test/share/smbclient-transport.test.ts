import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ShareError } from '../../src/share/share-transport.ts';
import type { SmbclientTransport } from '../../src/share/smbclient-transport.ts';
import { captureLogs } from '../support/log-capture.ts';
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

describe('smbclient transport against a real smbd', { skip }, () => {
  let samba: SambaServer;
  let transport: SmbclientTransport;
  const logs = captureLogs();
  const dir = localDir();

  before(async () => {
    samba = await startSamba({ password: PASSWORD });
    transport = transportFor(samba, logs.logger, PASSWORD);
  });
  after(async () => {
    await transport?.close();
    await samba?.stop();
  });

  test('creates nested folders, copies a 50 MB file byte for byte, and list() shows the sizes', async () => {
    const big = randomFile(dir, 'big.wav', 50 * MB, 7);
    const small = randomFile(dir, 'small.wav', 12_345, 8);
    const outcomes = await transport.copy([
      { localFile: big, remotePath: 'Callcenter/Berlin/RecordedCalls/2026/11/22/big.wav', size: 50 * MB },
      { localFile: small, remotePath: 'Callcenter/Berlin/RecordedCalls/2026/11/22/small.wav', size: 12_345 },
    ]);
    assert.deepEqual(
      outcomes.map((o) => (o.ok ? o.remoteSize : o.error.message)),
      [50 * MB, 12_345],
    );
    const day = join(samba.shareDir, 'Callcenter/Berlin/RecordedCalls/2026/11/22');
    assert.equal(await sha256(join(day, 'big.wav')), await sha256(big));
    assert.equal(await sha256(join(day, 'small.wav')), await sha256(small));
    assert.deepEqual(readdirSync(day).sort(), ['big.wav', 'small.wav'], 'no temporary name left');

    const listed = await transport.list('Callcenter/Berlin/RecordedCalls/2026/11/22');
    assert.deepEqual([...listed].sort(), [
      ['big.wav', 50 * MB],
      ['small.wav', 12_345],
    ]);
    assert.deepEqual(
      await transport.list('Callcenter/Berlin/RecordedCalls/2026/11'),
      new Map(),
      'folders are not files',
    );
  });

  test('a second copy of the same names replaces the files', async () => {
    const first = randomFile(dir, 'r1.wav', 300_000, 21);
    const second = randomFile(dir, 'r2.wav', 200_000, 22);
    const remotePath = 'replace/r.wav';
    const one = await transport.copy([{ localFile: first, remotePath, size: 300_000 }]);
    assert.equal(one[0]?.ok, true);
    const two = await transport.copy([{ localFile: second, remotePath, size: 200_000 }]);
    assert.deepEqual(
      two.map((o) => (o.ok ? o.remoteSize : o.error.message)),
      [200_000],
    );
    assert.equal(await sha256(join(samba.shareDir, remotePath)), await sha256(second));
    assert.deepEqual(await transport.list('replace'), new Map([['r.wav', 200_000]]));
  });

  test('list() of a folder that does not exist is empty', async () => {
    assert.deepEqual(await transport.list('no/such/folder'), new Map());
  });

  test('a refused folder fails only its own items; the rest of the batch is copied', async () => {
    // Created by root: the Samba user may not write in it.
    mkdirSync(join(samba.shareDir, 'locked'), { mode: 0o755 });
    const file = randomFile(dir, 'd.wav', 5_000, 31);
    const outcomes = await transport.copy([
      { localFile: file, remotePath: 'locked/sub/d.wav', size: 5_000 },
      { localFile: file, remotePath: 'locked/d.wav', size: 5_000 },
      { localFile: file, remotePath: 'open/d.wav', size: 5_000 },
    ]);
    assert.equal(failureOf(outcomes[0]).kind, 'denied');
    assert.match(failureOf(outcomes[0]).message, /access denied.*smb:\/\/127\.0\.0\.1:\d+\/recordings/);
    assert.equal(failureOf(outcomes[1]).kind, 'denied');
    assert.equal(outcomes[2]?.ok, true);
    assert.equal(existsSync(join(samba.shareDir, 'open/d.wav')), true);
  });

  test('a missing local file fails its item only', async () => {
    const file = randomFile(dir, 'present.wav', 1_000, 41);
    const outcomes = await transport.copy([
      { localFile: join(dir, 'absent.wav'), remotePath: 'missing/absent.wav', size: 1_000 },
      { localFile: file, remotePath: 'missing/present.wav', size: 1_000 },
    ]);
    assert.equal(failureOf(outcomes[0]).kind, 'other');
    assert.equal(outcomes[1]?.ok, true);
    assert.deepEqual(readdirSync(join(samba.shareDir, 'missing')), ['present.wav']);
  });

  test('paths smbclient cannot carry are refused without reaching the share', async () => {
    const file = randomFile(dir, 'q.wav', 10, 51);
    const outcomes = await transport.copy([
      { localFile: file, remotePath: 'a"b/q.wav', size: 10 },
      { localFile: file, remotePath: 'a;b/q.wav', size: 10 },
      { localFile: file, remotePath: 'a\nb/q.wav', size: 10 },
      { localFile: file, remotePath: '../q.wav', size: 10 },
      { localFile: file, remotePath: '/abs/q.wav', size: 10 },
      { localFile: file, remotePath: 'x/*.wav', size: 10 },
    ]);
    for (const outcome of outcomes) assert.equal(failureOf(outcome).kind, 'other', outcome.item.remotePath);
    await assert.rejects(transport.list('a;b'), (error: ShareError) => error.kind === 'other');
  });

  test('credentials only in a 0600 file in a 0700 folder: not in argv, not in the environment; gone after close()', async () => {
    const own = transportFor(samba, logs.logger, PASSWORD);
    const file = randomFile(dir, 'watched.wav', 40 * MB, 61);
    const seen: Array<{ argv: string[]; environ: string; authMode: number; dirMode: number; auth: string }> =
      [];
    const copying = own.copy([{ localFile: file, remotePath: 'watched/w.wav', size: 40 * MB }]);
    await waitFor(() => {
      for (const child of childProcesses('smbclient')) {
        const auth = child.argv[child.argv.indexOf('-A') + 1] ?? '';
        try {
          seen.push({
            argv: child.argv,
            environ: child.environ,
            auth,
            authMode: statSync(auth).mode & 0o777,
            dirMode: statSync(dirname(auth)).mode & 0o777,
          });
        } catch {
          // The process ended between the two reads.
        }
      }
      return seen.length > 0;
    }, 10_000);
    assert.equal((await copying)[0]?.ok, true);
    assert.ok(seen.length > 0, 'a running smbclient was seen');
    const [first] = seen;
    assert.ok(first);
    assert.equal(first.argv.join(' ').includes(PASSWORD), false, 'password not in argv');
    assert.equal(first.environ.includes(PASSWORD), false, 'password not in the environment');
    assert.equal(first.authMode, 0o600);
    assert.equal(first.dirMode, 0o700);
    assert.match(readFileSync(first.auth, 'utf8'), /^username = daemon\npassword = /);
    await own.close();
    assert.equal(existsSync(first.auth), false, 'authentication file removed');
    assert.equal(existsSync(dirname(first.auth)), false, 'its folder removed');
    await assert.rejects(own.list(''), (error: ShareError) => error instanceof ShareError);
  });

  test('wrong password: kind auth, an admin-readable message, the password nowhere', async () => {
    const wrong = 'wr0ng-Share-Passw0rd-9f1e';
    const local = captureLogs();
    const bad = transportFor(samba, local.logger, wrong);
    try {
      const file = randomFile(dir, 'a.wav', 100, 71);
      const error = await bad.copy([{ localFile: file, remotePath: 'auth/a.wav', size: 100 }]).then(
        () => assert.fail('copy with a wrong password resolved'),
        (e: unknown) => e as ShareError,
      );
      assert.ok(error instanceof ShareError);
      assert.equal(error.kind, 'auth');
      assert.equal(error.share, samba.url);
      assert.match(
        error.message,
        new RegExp(`^wrong user name or password for ${samba.url.replace(/\./g, '\\.')}`),
      );
      const everything = [error.message, error.stack ?? '', JSON.stringify(error), ...local.lines].join('\n');
      assert.equal(everything.includes(wrong), false);
      await assert.rejects(bad.list(''), (e: ShareError) => e.kind === 'auth');
    } finally {
      await bad.close();
    }
  });

  test('no such share: kind no-share', async () => {
    const other = transportFor(samba, logs.logger, PASSWORD, { share: 'nosuch' });
    try {
      await assert.rejects(other.list(''), (error: ShareError) => {
        assert.equal(error.kind, 'no-share');
        assert.match(error.message, /no share "nosuch" on 127\.0\.0\.1:\d+/);
        return true;
      });
    } finally {
      await other.close();
    }
  });
});
