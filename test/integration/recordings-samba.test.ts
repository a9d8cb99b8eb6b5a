import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeAdminRequest } from '../../src/daemon/admin-requests.ts';
import { runCopy } from '../../src/recordings/copy-run.ts';
import { RecordingJournal } from '../../src/recordings/recording-journal.ts';
import { SmbclientTransport } from '../../src/share/smbclient-transport.ts';
import { startFakePbx } from '../../src/sim/pbx/fake-pbx.ts';
import { startFakeZendesk } from '../../src/sim/zendesk/index.ts';
import { Secret } from '../../src/util/secret.ts';
import { randomFile, sha256 } from '../share/smb-fixtures.ts';
import { FAKE_ZENDESK_CREDENTIALS, waitFor } from '../support/bridge-harness.ts';
import { startDaemonProcess } from '../support/daemon-process.ts';
import { captureLogs } from '../support/log-capture.ts';
import { profileYaml, tempConfigDir } from '../support/profiles.ts';
import { type SambaServer, sambaSkipReason, startSamba } from '../support/samba-server.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';

const DAY = 86_400_000;
const SUB = 'Callcenter/Berlin';
const skip = sambaSkipReason();

/** A recordings directory with a journal, holding complete, attached recordings of given sizes. */
function recordingsFixture(root: string, name = 'main') {
  const dir = path.join(root, 'rec');
  const journal = RecordingJournal.open(RecordingJournal.fileFor(path.join(root, 'state'), name));
  function add(callId: string, day: string, size: number, completedAt: number): string {
    const file = `${day}/${callId}.wav`;
    mkdirSync(path.join(dir, day), { recursive: true });
    randomFile(path.join(dir, day), `${callId}.wav`, size, callId.length + size);
    journal.started({ callId, file, queue: 'sales', startedAt: completedAt });
    journal.ticket(callId, 1);
    journal.completed(callId, size, completedAt);
    journal.attached(callId, completedAt);
    return path.join(dir, file);
  }
  return { dir, journal, add };
}

describe('copying recordings to a real Samba share', { skip }, () => {
  let samba: SambaServer;
  let root: string;
  const logs = captureLogs();
  before(async () => {
    samba = await startSamba({ password: TEST_SECRETS.sharePassword });
    root = mkdtempSync(path.join(tmpdir(), 'cti-copy-samba-'));
  });
  after(async () => {
    await samba?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  /** One scheduled copy run of the fixture's recordings to the share. */
  function copyRun(fx: ReturnType<typeof recordingsFixture>, t: SmbclientTransport, retentionDays: number) {
    return runCopy({
      journal: fx.journal,
      transport: t,
      directory: fx.dir,
      subdirectory: SUB,
      retentionDays,
      origin: 'schedule',
      logger: logs.logger,
    });
  }

  function transport(password: string = TEST_SECRETS.sharePassword): SmbclientTransport {
    return new SmbclientTransport({
      host: samba.host,
      port: samba.port,
      share: samba.share,
      username: samba.user,
      password: new Secret(password, 'env:CTI_SHARE_PASSWORD'),
      logger: logs.logger,
    });
  }

  test('nested folders under <subdirectory>/RecordedCalls, a 50 MB file, and a re-run that copies nothing twice', async () => {
    const fx = recordingsFixture(path.join(root, 'a'));
    const now = Date.now();
    const files = {
      small: fx.add('1795306004.26', '2026/11/21', 128_044, now),
      big: fx.add('1795306010.30', '2026/11/22', 50 * 1024 * 1024, now),
      other: fx.add('1795306011.31', '2026/11/22', 64_000, now),
    };
    const t1 = transport();
    try {
      const first = await copyRun(fx, t1, 30);
      assert.deepEqual([first.outcome, first.copied, first.skipped, first.failed], ['ok', 3, 0, 0]);
      for (const [callId, local] of [
        ['1795306004.26', files.small],
        ['1795306010.30', files.big],
      ] as const) {
        const remote = path.join(samba.shareDir, fx.journal.get(callId)!.remotePath!);
        assert.match(remote, /Callcenter\/Berlin\/RecordedCalls\/2026\/11\/2[12]\//);
        assert.equal(await sha256(remote), await sha256(local));
      }
      const copiedAt = statSync(
        path.join(samba.shareDir, SUB, 'RecordedCalls/2026/11/22/1795306010.30.wav'),
      ).mtimeMs;

      const second = await copyRun(fx, t1, 30);
      assert.deepEqual([second.copied, second.skipped, second.failed], [0, 0, 0], 'nothing left to copy');
      // The journal lost the mark (a crash right after the copy): the same size on the share is enough.
      fx.journal.uncopied('1795306010.30');
      const third = await copyRun(fx, t1, 30);
      assert.deepEqual([third.copied, third.skipped], [0, 1]);
      assert.equal(
        statSync(path.join(samba.shareDir, SUB, 'RecordedCalls/2026/11/22/1795306010.30.wav')).mtimeMs,
        copiedAt,
        'not sent again',
      );
      assert.ok(existsSync(files.big), 'kept locally within the retention');
    } finally {
      await t1.close();
      fx.journal.close();
    }
  });

  test('wrong password, then the share down: the run says why, keeps everything, and the next run catches up', async () => {
    const fx = recordingsFixture(path.join(root, 'b'));
    const local = fx.add('1795306020.1', '2026/11/22', 200_000, Date.now() - 40 * DAY);
    const wrong = transport('not-the-password');
    try {
      const refused = await copyRun(fx, wrong, 30);
      assert.equal(refused.outcome, 'failed');
      assert.match(refused.message ?? '', /user name or password/i);
      const warn = logs
        .records()
        .find((r) => r.level === 'warn' && /the share cannot be used/.test(String(r.msg)));
      assert.equal(warn?.reason, 'auth');
      assert.equal(warn?.share, `smb://127.0.0.1:${samba.port}/recordings`);
    } finally {
      await wrong.close();
    }
    assert.equal(fx.journal.get('1795306020.1')?.state, 'attached');
    assert.ok(existsSync(local), 'past retention but never copied: kept');

    const t = transport();
    try {
      await samba.halt();
      const down = await copyRun(fx, t, 30);
      assert.equal(down.outcome, 'failed');
      assert.ok(existsSync(local));
      await samba.restart();
      const caughtUp = await copyRun(fx, t, 30);
      // Copied, then (40 days old, copy verified again) expired in the same run.
      assert.deepEqual([caughtUp.outcome, caughtUp.copied, caughtUp.expired], ['ok', 1, 1]);
      assert.equal(fx.journal.get('1795306020.1')?.state, 'expired');
      assert.equal(existsSync(local), false);
      assert.equal(
        existsSync(path.join(samba.shareDir, SUB, 'RecordedCalls/2026/11/22/1795306020.1.wav')),
        true,
      );
    } finally {
      await t.close();
      fx.journal.close();
    }
  });

  test('retention deletes only after a verified copy: a copy gone from the share is copied again first', async () => {
    const fx = recordingsFixture(path.join(root, 'c'));
    const old = Date.now() - 31 * DAY;
    const kept = fx.add('1795306030.1', '2026/10/21', 10_000, old);
    const young = fx.add('1795306030.2', '2026/11/21', 10_000, Date.now() - DAY);
    const t = transport();
    try {
      const first = await copyRun(fx, t, 60);
      assert.deepEqual([first.copied, first.expired], [2, 0], 'within 60 days nothing is deleted');
      // Someone deletes the copy on the share; then the retention is shortened to 30 days.
      unlinkSync(path.join(samba.shareDir, SUB, 'RecordedCalls/2026/10/21/1795306030.1.wav'));
      const second = await copyRun(fx, t, 30);
      assert.equal(second.expired, 0, 'the missing copy stops the deletion');
      assert.ok(existsSync(kept));
      assert.ok(logs.records().some((r) => /copy on the share is gone or differs/.test(String(r.msg))));
      const third = await copyRun(fx, t, 30);
      assert.deepEqual([third.copied, third.expired], [1, 1], 'copied again, verified, then deleted');
      assert.equal(existsSync(kept), false);
      assert.ok(existsSync(young));
    } finally {
      await t.close();
      fx.journal.close();
    }
  });
});

describe('the daemon killed in the middle of a copy run', { skip }, () => {
  let samba: SambaServer;
  before(async () => {
    samba = await startSamba({ password: TEST_SECRETS.sharePassword });
  });
  after(async () => {
    await samba?.stop();
  });

  test('no truncated file counts as copied; the restarted daemon marks the run interrupted and catches up at once', async (t) => {
    const pbx = await startFakePbx({ users: { bridge: TEST_SECRETS.amiSecret } });
    const zd = await startFakeZendesk({ credentials: FAKE_ZENDESK_CREDENTIALS });
    const config = tempConfigDir();
    const work = mkdtempSync(path.join(tmpdir(), 'cti-kill-copy-'));
    t.after(async () => {
      await pbx.close();
      await zd.close();
      config.remove();
      rmSync(work, { recursive: true, force: true });
    });
    const fx = recordingsFixture(work);
    const bigOnes = ['1795307000.1', '1795307000.2', '1795307000.3'].map((id) =>
      fx.add(id, '2026/11/22', 40 * 1024 * 1024, Date.now()),
    );
    fx.journal.close();
    config.write(
      'main',
      profileYaml({
        active: true,
        amiPort: pbx.port,
        zendeskUrl: zd.url,
        stateDirectory: path.join(work, 'state'),
        recordingsDir: fx.dir,
        queues: { sales: { record: true } },
        share: {
          target: samba.url,
          username: samba.user,
          password: 'env:CTI_SHARE_PASSWORD',
          subdirectory: SUB,
          schedule: '0 3 * * *',
        },
      }),
    );
    const journal = RecordingJournal.open(RecordingJournal.fileFor(path.join(work, 'state'), 'main'));
    t.after(() => journal.close());
    const first = startDaemonProcess(config.dir, 'cti-bridge run (SIGKILL mid-copy)');
    await waitFor(() => first.said('integration started'), 'the daemon to start', 20_000);
    await writeAdminRequest(config.dir, 'copy');
    const remoteDir = path.join(samba.shareDir, SUB, 'RecordedCalls/2026/11/22');
    const partialGrowing = () => {
      try {
        return statSync(path.join(remoteDir, '1795307000.1.wav.partial')).size > 1024 * 1024;
      } catch {
        return false;
      }
    };
    await waitFor(partialGrowing, 'the first upload under way', 20_000);
    // Freeze the server so the transfer is surely mid-file, then kill the daemon outright.
    samba.pause();
    first.child.kill('SIGKILL');
    await first.exited();
    samba.resume();

    assert.equal(journal.lastRun()?.outcome, 'running', 'a killed process cannot finish its run');
    assert.equal(existsSync(path.join(remoteDir, '1795307000.1.wav')), false, 'nothing under the final name');
    assert.deepEqual(
      ['1795307000.1', '1795307000.2', '1795307000.3'].map((id) => journal.get(id)?.state),
      ['attached', 'attached', 'attached'],
    );

    const second = startDaemonProcess(config.dir, 'cti-bridge run (after the kill)');
    await waitFor(
      () => journal.lastRun()?.origin === 'start' && journal.lastRun()?.outcome !== 'running',
      'the catch-up run',
      60_000,
    );
    assert.equal(journal.runsSince(0).at(-2)?.outcome, 'interrupted');
    assert.deepEqual([journal.lastRun()?.outcome, journal.lastRun()?.copied], ['ok', 3]);
    for (const [i, local] of bigOnes.entries()) {
      assert.equal(await sha256(path.join(remoteDir, `1795307000.${i + 1}.wav`)), await sha256(local));
    }
    second.child.kill('SIGTERM');
    assert.equal(await second.exited(), 0);
  });
});
