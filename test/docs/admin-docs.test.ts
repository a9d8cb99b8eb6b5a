import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import { CALL_EVENT_NAMES } from '../../src/pbx/call-events-from-ami.ts';
import { RecordingJournal } from '../../src/recordings/recording-journal.ts';
import { type FakePbx, startFakePbx } from '../../src/sim/pbx/fake-pbx.ts';
import { type FakeZendesk, startFakeZendesk } from '../../src/sim/zendesk/index.ts';
import { waitFor } from '../support/bridge-harness.ts';
import { type DaemonProcess, startDaemonProcess } from '../support/daemon-process.ts';
import { profileYaml } from '../support/profiles.ts';
import { freePort } from '../support/redis-server.ts';
import { type SambaServer, sambaSkipReason, startSamba } from '../support/samba-server.ts';
import { FAKE_ZENDESK_CREDENTIALS, TEST_SECRET_ENV, TEST_SECRETS } from '../support/test-secrets.ts';
import { type DocCommand, iniSection, shCommands, tableFirstColumn } from './doc-commands.ts';
import { HostInstall, hostSkipReason, systemdRuns } from './host-install.ts';
import { JOURNAL_REMOTE, writeJournalFile } from './journal-file.ts';
import { runShell, type ShellResult } from './shell.ts';

/*
 * docs/admin.md, docs/systemd.md (the install it points to) and docs/supervisor.md, command by
 * command, in the admin's order. Every command runs below a temporary root ($ROOT): its absolute
 * paths are moved there, `sudo` and install's -o/-g are dropped (the test's user owns $ROOT),
 * /opt/cti-bridge is this checkout, the daemon is a process of its own against the fake PBX and
 * the fake Zendesk, the share a real smbd. Host-changing commands also run for real, exactly as
 * written, under CI as root (host-install.ts). A documented command without a case fails.
 */

const REPO = path.resolve(import.meta.dirname, '../..');
const DOCS = ['docs/systemd.md', 'docs/admin.md', 'docs/supervisor.md'];
const COMMANDS = DOCS.flatMap((file) => shCommands(file, readFileSync(path.join(REPO, file), 'utf8')));
const ADMIN = readFileSync(path.join(REPO, 'docs/admin.md'), 'utf8');
const VERSION = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string })
  .version;

/** The example values the docs use, and what the test has instead. */
const DOC_CALL_ID = '1795306004.26';
const DOC_DAY = '2026/11/22';
const DOC_PORT = '127.0.0.1:9464';
const SUBDIRECTORY = 'Callcenter/Berlin';

const ROOT = mkdtempSync(path.join(tmpdir(), 'cti-admin-docs-'));
const root = (p: string) => path.join(ROOT, p);
const PATH_MAP: Array<[string, string]> = [
  ['/var/spool/asterisk/monitor/cti-bridge', root('var/spool/asterisk/monitor/cti-bridge')],
  ['/etc/systemd/system', root('etc/systemd/system')],
  ['/opt/cti-bridge', REPO],
  ['/etc/cti-bridge', root('etc/cti-bridge')],
  ['/var/lib/cti-bridge', root('var/lib/cti-bridge')],
  ['/usr/local/bin', root('usr/local/bin')],
];
const CONFIG_DIR = root('etc/cti-bridge');
const STATE_DIR = root('var/lib/cti-bridge');
const RECORDINGS_DIR = root('var/spool/asterisk/monitor/cti-bridge');
const JOURNAL = root('var/log/journal/cti-bridge.journal');
const SUPERVISOR_HOME = root('home/supervisor');

/** The command as it runs below $ROOT. */
function inRoot(text: string): string {
  let mapped = text.replace(/(^|&&\s*|\|\s*)sudo\s+/g, '$1');
  for (const [from, to] of PATH_MAP) mapped = mapped.replaceAll(from, to);
  if (/^install\s/.test(mapped)) mapped = mapped.replace(/\s-[og]\s+\S+/g, '');
  return mapped;
}

interface World {
  pbx: FakePbx;
  zd: FakeZendesk;
  samba: SambaServer | undefined;
  shareRoot: string;
  listenPort: number;
  daemon?: DaemonProcess;
  recorded?: { callId: string; relative: string };
  cwd: string;
  hostCwd: string;
  hostBroken?: string;
}

let world: World;
const hostSkip = hostSkipReason();
const host = new HostInstall();
let hostRan = false;

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { CTI_BRIDGE_CONFIG_DIR: _c, CTI_BRIDGE_SECRETS_FILE: _s, ...rest } = process.env;
  return {
    ...rest,
    PATH: `${root('usr/local/bin')}:${process.env.PATH}`,
    HOME: SUPERVISOR_HOME,
    CTI_BRIDGE_CONFIG_DIR: CONFIG_DIR,
    CTI_BRIDGE_SECRETS_FILE: root('etc/cti-bridge/secrets.env'),
    ...extra,
  };
}

/** Runs the command below $ROOT (after `rewrite`) and returns its result; the cwd carries over. */
async function sh(
  cmd: DocCommand,
  rewrite: (s: string) => string = (s) => s,
  extraEnv = {},
): Promise<ShellResult> {
  const result = await runShell(rewrite(inRoot(cmd.text)), {
    cwd: world.cwd,
    env: env(extraEnv),
    label: `${cmd.file}:${cmd.line}`,
  });
  world.cwd = result.cwd;
  return result;
}

function ok(result: ShellResult): ShellResult {
  assert.equal(result.status, 0, `exit ${result.status}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
}

function profileFor(
  paths: { state: string; recordings: string },
  extra: Partial<Parameters<typeof profileYaml>[0]> = {},
) {
  const share: Record<string, string> = world.samba
    ? { target: world.samba.url, username: world.samba.user, password: 'env:CTI_SHARE_PASSWORD' }
    : { target: world.shareRoot };
  return profileYaml({
    active: false,
    amiPort: world.pbx.port,
    zendeskUrl: world.zd.url,
    stateDirectory: paths.state,
    recordingsDir: paths.recordings,
    queues: { support: { group: 'Support' }, sales: { group: 'Sales', record: true } },
    wrapUpSeconds: 1,
    recordings: { settleSeconds: 1, giveUpSeconds: 30 },
    share: { ...share, subdirectory: SUBDIRECTORY, schedule: '0 3 * * *' },
    extra: `operations:\n  address: 127.0.0.1\n  port: ${world.listenPort}\n`,
    ...extra,
  });
}

const SECRETS_ENV = `${Object.entries(TEST_SECRET_ENV)
  .map(([name, value]) => `${name}=${value}`)
  .join('\n')}\n`;

/** `sudoedit FILE`: the admin's edit, written as they would leave it. The file must exist already. */
function edit(file: string, content: string): void {
  assert.ok(existsSync(file), `${file} exists before it is edited (made by the step before)`);
  writeFileSync(file, content);
}

async function journalctl(t: TestContext, cmd: DocCommand, rewrite: (s: string) => string = (s) => s) {
  if (!existsSync(JOURNAL_REMOTE) && process.env.CI !== 'true') {
    t.skip('needs systemd-journal-remote to write a journal file (apt-get install systemd-journal-remote)');
    return undefined;
  }
  assert.ok(world.daemon, 'the daemon runs');
  const entries = await writeJournalFile(JOURNAL, world.daemon.output(), world.daemon.child.pid ?? 0);
  t.diagnostic(`journal file with ${entries} entries of the daemon's output`);
  return sh(cmd, (s) => rewrite(s.replace(/\bjournalctl\b/, `journalctl --file ${JOURNAL}`)));
}

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A call from a number two Zendesk users share, and a recorded call, then its recording attached. */
async function placeCalls(): Promise<{ callId: string; relative: string }> {
  if (world.recorded) return world.recorded;
  const ambiguous = world.pbx.placeCall({ queue: 'support', callerNum: '+49405550000', talkMs: 200 });
  const recorded = world.pbx.placeCall({
    queue: 'sales',
    callerNum: '+4930123456',
    callerName: 'Erika Mustermann',
    talkMs: 1500,
  });
  await Promise.all([ambiguous.done, recorded.done]);
  const journal = RecordingJournal.open(RecordingJournal.fileFor(STATE_DIR, 'main'));
  try {
    await waitFor(
      () => journal.get(recorded.linkedid)?.state === 'attached',
      'the recording attached',
      30_000,
    );
    world.recorded = { callId: recorded.linkedid, relative: journal.get(recorded.linkedid)!.file };
  } finally {
    journal.close();
  }
  return world.recorded;
}

function onTheShare(relative: string): string {
  const base = world.samba ? world.samba.shareDir : world.shareRoot;
  return path.join(base, SUBDIRECTORY, 'RecordedCalls', relative);
}

/** The example call of the docs → the call the test recorded. */
function theRecordedCall(s: string): string {
  const { callId, relative } = world.recorded!;
  return s.replaceAll(DOC_DAY, path.dirname(relative)).replaceAll(DOC_CALL_ID, callId);
}

function smbclientTarget(s: string): string {
  const samba = world.samba!;
  return theRecordedCall(s)
    .replace('//fileserver/recordings', `//127.0.0.1/${samba.share} --port=${samba.port}`)
    .replace('-U anna.supervisor', `-U ${samba.user}`);
}

type Run = (t: TestContext, cmd: DocCommand) => Promise<void>;
interface Case {
  /** Runs below $ROOT. */
  run: Run;
  /** Changes the host: also runs for real, as written, under CI as root. */
  host?: (cmd: DocCommand) => Promise<void> | string;
}

async function hostShell(cmd: DocCommand, text = cmd.text, timeoutMs = 120_000): Promise<void> {
  const result = await runShell(text, {
    cwd: world.hostCwd,
    env: process.env,
    timeoutMs,
    label: `[host] ${cmd.file}:${cmd.line}`,
  });
  world.hostCwd = result.cwd;
  ok(result);
}

const hostRuns = (cmd: DocCommand) => hostShell(cmd);

const CASES: Record<string, Case> = {
  // --- docs/systemd.md, Install -------------------------------------------------------------
  'sudo useradd --system --home /var/lib/cti-bridge --shell /usr/sbin/nologin cti-bridge': {
    host: hostRuns,
    run: async (t) => t.skip('creates a system user: only the real run on the host does that'),
  },
  'sudo usermod -aG asterisk cti-bridge': {
    host: async (cmd) => {
      host.ensureAsteriskAccount();
      await hostShell(cmd);
    },
    run: async (t) => t.skip('changes a system group: only the real run on the host does that'),
  },
  'sudo git clone <this repository> /opt/cti-bridge': {
    host: (cmd) => hostShell(cmd, cmd.text.replace('<this repository>', REPO)),
    run: async (t) => t.skip('below $ROOT, /opt/cti-bridge is this checkout'),
  },
  'cd /opt/cti-bridge && sudo npm ci --omit=optional': {
    host: (cmd) => hostShell(cmd, cmd.text, 600_000),
    // The checkout's node_modules is installed already: only the cd runs, then the Node 24 it left.
    run: async (_t, cmd) => {
      ok(await sh(cmd, (s) => s.replace(/&&.*$/, '')));
      assert.equal(world.cwd, REPO);
      const node = ok(
        await runShell('node_modules/node/bin/node --version', {
          cwd: REPO,
          env: env(),
          label: 'node --version',
        }),
      );
      assert.match(node.stdout, /^v24\./, 'the Node the unit runs');
    },
  },
  'sudo install -d -o cti-bridge -g cti-bridge -m 0750 /etc/cti-bridge': {
    host: hostRuns,
    run: async (_t, cmd) => {
      ok(await sh(cmd));
      assert.equal(statSync(CONFIG_DIR).mode & 0o7777, 0o750);
    },
  },
  'sudo install -o cti-bridge -g cti-bridge -m 0640 config/example.yaml /etc/cti-bridge/main.yaml': {
    host: hostRuns,
    run: async (_t, cmd) => {
      ok(await sh(cmd));
      const main = path.join(CONFIG_DIR, 'main.yaml');
      assert.equal(readFileSync(main, 'utf8'), readFileSync(path.join(REPO, 'config/example.yaml'), 'utf8'));
      assert.equal(statSync(main).mode & 0o777, 0o640);
    },
  },
  'sudoedit /etc/cti-bridge/main.yaml': {
    host: async () =>
      edit(
        '/etc/cti-bridge/main.yaml',
        profileFor({ state: '/var/lib/cti-bridge', recordings: '/var/spool/asterisk/monitor/cti-bridge' }),
      ),
    run: async () =>
      edit(path.join(CONFIG_DIR, 'main.yaml'), profileFor({ state: STATE_DIR, recordings: RECORDINGS_DIR })),
  },
  'sudo install -o root -g root -m 0600 /dev/null /etc/cti-bridge/secrets.env': {
    host: hostRuns,
    run: async (_t, cmd) => {
      ok(await sh(cmd));
      assert.equal(statSync(path.join(CONFIG_DIR, 'secrets.env')).mode & 0o777, 0o600);
    },
  },
  'sudoedit /etc/cti-bridge/secrets.env': {
    host: async () => edit('/etc/cti-bridge/secrets.env', SECRETS_ENV),
    run: async () => edit(path.join(CONFIG_DIR, 'secrets.env'), SECRETS_ENV),
  },
  'sudo /opt/cti-bridge/node_modules/node/bin/node /opt/cti-bridge/bin/cti-bridge.js --config-dir /etc/cti-bridge --secrets-file /etc/cti-bridge/secrets.env config validate':
    {
      host: hostRuns,
      run: async (_t, cmd) => {
        const result = ok(await sh(cmd));
        assert.match(result.stdout, /main\.yaml: valid/);
      },
    },
  'sudo install -d -o asterisk -g asterisk -m 2770 /var/spool/asterisk/monitor/cti-bridge': {
    host: hostRuns,
    run: async (_t, cmd) => {
      ok(await sh(cmd));
      assert.equal(statSync(RECORDINGS_DIR).mode & 0o7777, 0o2770);
    },
  },
  'sudo install -m 0644 systemd/cti-bridge.service /etc/systemd/system/': {
    host: hostRuns,
    run: async (_t, cmd) => {
      ok(await sh(cmd));
      assert.ok(existsSync(root('etc/systemd/system/cti-bridge.service')));
    },
  },
  'sudo systemctl daemon-reload': {
    host: (cmd) => (systemdRuns() ? hostShell(cmd) : 'systemd is not PID 1 on this machine'),
    // What daemon-reload parses: the installed unit, checked by systemd's own verifier.
    run: async (t) => {
      if (
        spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status !== 0 &&
        process.env.CI !== 'true'
      ) {
        t.skip('systemd-analyze is not installed');
        return;
      }
      const unit = root('verify/cti-bridge.service');
      mkdirSync(path.dirname(unit), { recursive: true });
      writeFileSync(
        unit,
        readFileSync(root('etc/systemd/system/cti-bridge.service'), 'utf8').replaceAll(
          '/opt/cti-bridge',
          REPO,
        ),
      );
      const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(verify.status, 0, verify.stderr);
      assert.equal(verify.stderr.trim(), '', 'systemd-analyze verify: no warnings');
    },
  },
  'sudo systemctl enable --now cti-bridge': {
    host: (cmd) => (systemdRuns() ? hostShell(cmd) : 'systemd is not PID 1 on this machine'),
    // The unit's ExecStart, as a process: `node bin/cti-bridge.js --config-dir /etc/cti-bridge run`.
    run: async () => {
      // As under systemd, the profile's operations keys say where it listens (no CTI_BRIDGE_LISTEN).
      const daemon = startDaemonProcess(CONFIG_DIR, 'cti-bridge run (systemctl start)', {
        env: { CTI_BRIDGE_LISTEN: '' },
      });
      world.daemon = daemon;
      await waitFor(() => daemon.said('no configuration profile is active'), 'the idle daemon', 20_000);
    },
  },
  'journalctl -u cti-bridge -f': {
    host: (cmd) =>
      systemdRuns()
        ? hostShell(cmd, `timeout 3 ${cmd.text} || [ $? = 124 ]`)
        : 'no journald: systemd is not PID 1 on this machine',
    run: async (t, cmd) => {
      // -f follows for ever: three seconds of it.
      const result = await journalctl(t, cmd, (s) => `timeout 3 ${s}`);
      if (!result) return;
      assert.equal(result.status, 124, result.stderr);
      assert.match(result.stdout, /node\[\d+\]: \{.*"msg":"starting"/);
    },
  },
  'sudo /opt/cti-bridge/node_modules/node/bin/node /opt/cti-bridge/bin/cti-bridge.js --config-dir /etc/cti-bridge --secrets-file /etc/cti-bridge/secrets.env config activate main':
    {
      host: hostRuns,
      run: async (_t, cmd) => {
        const result = ok(await sh(cmd));
        assert.match(result.stdout, /profile main is now active/);
        const daemon = world.daemon!;
        await waitFor(
          () => daemon.said('sync finished; call handling on'),
          'the daemon to start main',
          30_000,
        );
      },
    },

  // --- docs/admin.md ---------------------------------------------------------------------------
  "sudo asterisk -rx 'manager reload'": {
    run: async (t) =>
      t.skip(
        'needs an Asterisk host (Debian 12 has no asterisk package); the [bridge] permissions are checked against what the bridge sent and received instead',
      ),
  },
  'sudo ln -s /opt/cti-bridge/bin/cti-bridge.sh /usr/local/bin/cti-bridge': {
    host: hostRuns,
    run: async (_t, cmd) => {
      ok(await sh(cmd));
      const link = root('usr/local/bin/cti-bridge');
      assert.ok(lstatSync(link).isSymbolicLink());
      assert.equal(readlinkSync(link), path.join(REPO, 'bin/cti-bridge.sh'));
    },
  },
  'cti-bridge --version': {
    host: async (cmd) => {
      const result = await runShell(cmd.text, {
        cwd: world.hostCwd,
        env: process.env,
        label: '[host] cti-bridge --version',
      });
      assert.equal(ok(result).stdout.trim(), VERSION);
    },
    run: async (_t, cmd) => assert.equal(ok(await sh(cmd)).stdout.trim(), VERSION),
  },
  'sudo install -o cti-bridge -g cti-bridge -m 0640 /opt/cti-bridge/config/example.yaml /etc/cti-bridge/fallback.yaml':
    {
      run: async (_t, cmd) => {
        ok(await sh(cmd));
        assert.equal(statSync(path.join(CONFIG_DIR, 'fallback.yaml')).mode & 0o777, 0o640);
      },
    },
  'sudoedit /etc/cti-bridge/fallback.yaml': {
    // The fallback PBX: another AMI endpoint (on loopback here; never connected while inactive).
    run: async () =>
      edit(
        path.join(CONFIG_DIR, 'fallback.yaml'),
        profileFor({ state: STATE_DIR, recordings: RECORDINGS_DIR }, { amiPort: 5039 }),
      ),
  },
  'sudo cti-bridge config validate': {
    run: async (_t, cmd) => assert.match(ok(await sh(cmd)).stdout, /2 profiles, no problems found/),
  },
  'sudo cti-bridge config activate main': {
    run: async (_t, cmd) => assert.match(ok(await sh(cmd)).stdout, /profile main is already active/),
  },
  'sudo cti-bridge config list': {
    run: async (_t, cmd) => {
      const { stdout } = ok(await sh(cmd));
      assert.match(stdout, /^fallback\s+no\s+yes$/m);
      assert.match(stdout, /^main\s+yes\s+yes$/m);
    },
  },
  'sudo cti-bridge status': {
    run: async (_t, cmd) => {
      const { stdout } = ok(await sh(cmd));
      assert.match(stdout, /main/);
      assert.match(stdout, /^profile main \(/m, 'the running profile, as the doc says');
      assert.match(stdout, /^AMI +\S/m);
    },
  },
  'sudo cti-bridge status --json': {
    run: async (_t, cmd) => {
      const status = JSON.parse(ok(await sh(cmd)).stdout) as { profile?: { name?: string } } | null;
      assert.match(JSON.stringify(status), /"main"/);
      assert.equal(status?.profile?.name, 'main');
    },
  },
  'curl -fsS http://127.0.0.1:9464/readyz': {
    run: async (_t, cmd) => {
      ok(await sh(cmd, (s) => s.replace(DOC_PORT, `127.0.0.1:${world.listenPort}`)));
    },
  },
  'sudo cti-bridge recordings status': {
    run: async (_t, cmd) => {
      await placeCalls();
      const { stdout } = ok(await sh(cmd));
      assert.match(stdout, /^ {2}attached +1 /m);
      assert.match(stdout, /pending copy to the share: 1/);
    },
  },
  'sudo cti-bridge recordings copy-now': {
    run: async (_t, cmd) => {
      const { relative } = await placeCalls();
      assert.match(ok(await sh(cmd)).stdout, /: ok; 1 copied, 0 already there, 0 failed/);
      const local = path.join(RECORDINGS_DIR, relative);
      assert.ok(
        readFileSync(onTheShare(relative)).equals(readFileSync(local)),
        'the share has the recording',
      );
    },
  },
  'sudo journalctl -u cti-bridge -f': {
    run: async (t, cmd) => {
      const result = await journalctl(t, cmd, (s) => `timeout 3 ${s}`);
      if (!result) return;
      assert.equal(result.status, 124, result.stderr);
      assert.match(result.stdout, /"ns":"/);
    },
  },
  'sudo journalctl -u cti-bridge --since today -o cat | jq -cR \'fromjson? | select(.level == "warn" or .level == "error")\'':
    {
      run: async (t, cmd) => {
        await placeCalls();
        const result = await journalctl(t, cmd);
        if (!result) return;
        const lines = jsonLines(ok(result).stdout);
        assert.ok(lines.every((l) => l.level === 'warn' || l.level === 'error'));
        const messages = lines.map((l) => l.msg);
        assert.ok(
          messages.includes('several Zendesk users have this number; caller treated as unknown'),
          String(messages),
        );
        assert.ok(
          messages.includes('PBX users without an email (map them in pbx.userEmails)'),
          String(messages),
        );
      },
    },
  'sudo journalctl -u cti-bridge --since today -o cat | jq -cR \'fromjson? | select(.ns == "sync")\'': {
    run: async (t, cmd) => {
      const result = await journalctl(t, cmd);
      if (!result) return;
      const lines = jsonLines(ok(result).stdout);
      assert.ok(lines.length > 0 && lines.every((l) => l.ns === 'sync'));
      assert.ok(lines.some((l) => l.msg === 'sync finished; call handling on'));
    },
  },
  'sudo journalctl -u cti-bridge -o cat | jq -cR \'fromjson? | select(.callId == "1795306004.26")\'': {
    run: async (t, cmd) => {
      const { callId } = await placeCalls();
      const result = await journalctl(t, cmd, theRecordedCall);
      if (!result) return;
      const lines = jsonLines(ok(result).stdout);
      assert.ok(lines.every((l) => l.callId === callId));
      const messages = lines.map((l) => l.msg);
      for (const step of [
        'call queued; looking the caller up',
        'recording started',
        'recording attached to the ticket with the call facts',
      ])
        assert.ok(messages.includes(step), `${step} in ${String(messages)}`);
    },
  },

  // --- docs/supervisor.md ----------------------------------------------------------------------
  "smbclient //fileserver/recordings -W WORKGROUP -U anna.supervisor -c 'ls Callcenter/Berlin/RecordedCalls/2026/11/22/*'":
    {
      run: async (t, cmd) => {
        if (!world.samba) return t.skip(`needs a real smbd: ${sambaSkipReason()}`);
        const { callId } = await placeCalls();
        // smbclient asks for the password; the test hands it over as smbclient's PASSWD variable.
        const { stdout } = ok(await sh(cmd, smbclientTarget, { PASSWD: TEST_SECRETS.sharePassword }));
        assert.match(stdout, new RegExp(`${callId.replace('.', '\\.')}\\.wav\\s+A\\s+\\d+`));
      },
    },
  "smbclient //fileserver/recordings -W WORKGROUP -U anna.supervisor -c 'get Callcenter/Berlin/RecordedCalls/2026/11/22/1795306004.26.wav 1795306004.26.wav'":
    {
      run: async (t, cmd) => {
        if (!world.samba) return t.skip(`needs a real smbd: ${sambaSkipReason()}`);
        const { callId, relative } = await placeCalls();
        world.cwd = SUPERVISOR_HOME;
        ok(await sh(cmd, smbclientTarget, { PASSWD: TEST_SECRETS.sharePassword }));
        const fetched = readFileSync(path.join(SUPERVISOR_HOME, `${callId}.wav`));
        assert.ok(
          fetched.equals(readFileSync(path.join(RECORDINGS_DIR, relative))),
          'the supervisor has the recording',
        );
        assert.equal(fetched.subarray(0, 4).toString(), 'RIFF');
      },
    },
};

describe('the admin and supervisor docs, command by command', () => {
  before(async () => {
    for (const dir of [
      'etc/systemd/system',
      'var/lib',
      'var/spool/asterisk/monitor',
      'var/log/journal',
      'usr/local/bin',
      'home/supervisor',
      'share',
    ])
      mkdirSync(root(dir), { recursive: true });
    const skipSamba = sambaSkipReason();
    world = {
      pbx: await startFakePbx({ users: { bridge: TEST_SECRETS.amiSecret } }),
      zd: await startFakeZendesk({ credentials: FAKE_ZENDESK_CREDENTIALS }),
      samba: skipSamba ? undefined : await startSamba({ password: TEST_SECRETS.sharePassword }),
      shareRoot: root('share'),
      listenPort: await freePort(),
      cwd: root('home/supervisor'),
      hostCwd: root('home/supervisor'),
    };
  });
  after(async () => {
    if (world?.daemon && world.daemon.child.exitCode === null) {
      world.daemon.child.kill('SIGTERM');
      await world.daemon.exited();
    }
    await world?.pbx.close();
    await world?.zd.close();
    await world?.samba?.stop();
    if (hostRan) host.remove();
    rmSync(ROOT, { recursive: true, force: true });
  });

  for (const cmd of COMMANDS) {
    const name = `${cmd.file}:${cmd.line}  ${cmd.text}`;
    const handler = CASES[cmd.text];
    if (handler?.host) {
      test(`[host] ${name}`, async (t) => {
        if (hostSkip) return t.skip(hostSkip);
        if (world.hostBroken) return t.skip(`an earlier host step failed (${world.hostBroken})`);
        hostRan = true;
        try {
          const skipped = await handler.host!(cmd);
          if (typeof skipped === 'string') t.skip(skipped);
        } catch (error) {
          world.hostBroken = `${cmd.file}:${cmd.line}`;
          throw error;
        }
      });
    }
    test(name, async (t) => {
      assert.ok(handler, 'no case in test/docs/admin-docs.test.ts runs this documented command: add one');
      await handler.run(t, cmd);
    });
  }

  test("the manager.conf [bridge] user has exactly the classes of the bridge's actions and events", () => {
    const bridge = iniSection(ADMIN, 'bridge');
    const read = new Set(bridge.read?.split(',').map((c) => c.trim()));
    const write = new Set(bridge.write?.split(',').map((c) => c.trim()));
    // Classes Asterisk registers each action under (any one suffices): main/manager.c,
    // apps/app_mixmonitor.c, apps/app_voicemail.c, apps/app_queue.c.
    const ACTION_CLASSES: Record<string, string[]> = {
      login: [],
      logoff: [],
      ping: [],
      queuestatus: [],
      mixmonitor: ['system'],
      coreshowchannels: ['system', 'reporting'],
      voicemailuserslist: ['call', 'reporting'],
    };
    const sent = new Set(world.pbx.actionsReceived.map((a) => a.action.toLowerCase()));
    for (const needed of ['mixmonitor', 'voicemailuserslist', 'queuestatus'])
      assert.ok(sent.has(needed), `${needed} was sent`);
    const writeUsed = new Set<string>();
    for (const action of sent) {
      const classes = ACTION_CLASSES[action];
      assert.ok(classes, `the bridge sent ${action}: add the classes Asterisk registers it under`);
      if (classes.length === 0) continue;
      const granted = classes.filter((c) => write.has(c));
      assert.ok(granted.length > 0, `${action} needs one of ${classes.join('|')} in write`);
      for (const c of granted) writeUsed.add(c);
    }
    // Event classes from the Privilege lines of the real Asterisk 22 transcripts.
    const privileges = new Map<string, Set<string>>();
    const fixtures = path.join(REPO, '../shared/fixtures/ami');
    for (const file of readdirSync(fixtures).filter((f) => f.endsWith('.ami'))) {
      for (const m of readFileSync(path.join(fixtures, file), 'utf8').matchAll(
        /Event: (\w+)\r\nPrivilege: ([\w,]+)/g,
      ))
        privileges.set(m[1]!, new Set(m[2]!.split(',').filter((c) => c !== 'all')));
    }
    const readUsed = new Set<string>();
    for (const event of [...CALL_EVENT_NAMES, 'FullyBooted']) {
      const classes = privileges.get(event);
      assert.ok(classes, `${event} appears in the transcripts`);
      for (const c of classes) {
        assert.ok(read.has(c), `${event} (${c}) needs ${c} in read`);
        readUsed.add(c);
      }
    }
    assert.deepEqual([...read].sort(), [...readUsed].sort(), 'read: no class the bridge does not need');
    assert.deepEqual([...write].sort(), [...writeUsed].sort(), 'write: no class the bridge does not need');
  });
});

test('every documented command has a case, and every case a documented command', () => {
  const documented = new Set(COMMANDS.map((c) => c.text));
  const unhandled = COMMANDS.filter((c) => !CASES[c.text]).map((c) => `${c.file}:${c.line}  ${c.text}`);
  const stale = Object.keys(CASES).filter((text) => !documented.has(text));
  assert.deepEqual(unhandled, [], 'documented commands no case runs');
  assert.deepEqual(stale, [], 'cases for commands the docs no longer have');
  assert.ok(COMMANDS.length >= 30, `${COMMANDS.length} commands`);
});

test('each log message the troubleshooting table quotes is still logged by src/', () => {
  const messages = tableFirstColumn(ADMIN, '## 6. Troubleshooting');
  assert.ok(messages.length >= 8, `${messages.length} messages`);
  const sources = readdirSync(path.join(REPO, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.startsWith('sim') && !f.startsWith('demo'))
    .map((f) => readFileSync(path.join(REPO, 'src', f), 'utf8'))
    .join('\n');
  const missing = messages.filter(
    (m) => !sources.includes(`'${m}'`) && !sources.includes(`"${m}"`) && !sources.includes(`\`${m}\``),
  );
  assert.deepEqual(missing, [], 'quoted in docs/admin.md but logged nowhere in src/');
});
