import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.ts';

/** Debian's path; overridable for other layouts. */
const SMBD = process.env.SMBD ?? '/usr/sbin/smbd';
const SMBPASSWD = process.env.SMBPASSWD ?? 'smbpasswd';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 3_000;
/** An existing system account (Debian has it); smbd needs a Unix user behind the Samba one. */
const DEFAULT_USER = 'daemon';
export const SAMBA_SHARE = 'recordings';

function installed(): boolean {
  return existsSync(SMBD) && spawnSync(SMBD, ['--version'], { stdio: 'ignore', timeout: 5_000 }).status === 0;
}

/**
 * Why the Samba tests are skipped, or undefined when they run. Skipped only on a developer machine
 * without smbd/smbclient or without root (smbd switches to the share user); under CI (`CI` set)
 * they run, and a missing Samba fails them (.ci/run installs it).
 */
export function sambaSkipReason(): string | undefined {
  if (process.env.CI) return undefined;
  if (!installed())
    return 'smbd is not installed (apt-get install samba smbclient); required, not skipped, under CI';
  if (spawnSync('smbclient', ['--version'], { stdio: 'ignore', timeout: 5_000 }).status !== 0) {
    return 'smbclient is not installed (apt-get install smbclient); required, not skipped, under CI';
  }
  if (process.getuid?.() !== 0)
    return 'the Samba tests start smbd and need root; required, not skipped, under CI';
  return undefined;
}

export interface SambaOptions {
  /** Samba password of the share user. */
  password: string;
  user?: string;
  /**
   * RLIMIT_FSIZE for smbd (via `prlimit`): a write past this many bytes in one file fails with
   * EFBIG, which smbd answers as NT_STATUS_DISK_FULL, as a full disk does. Needs no mount.
   */
  maxFileBytes?: number;
}

export interface SambaServer {
  readonly port: number;
  readonly host: '127.0.0.1';
  readonly share: typeof SAMBA_SHARE;
  readonly user: string;
  /** `smb://127.0.0.1:<port>/recordings` */
  readonly url: string;
  /** The directory behind the share, to look at what arrived. */
  readonly shareDir: string;
  /** Process id of the main smbd (also its process group: connections are its children). */
  readonly pid: number;
  /** SIGSTOP to every smbd process: connections stay open, nothing answers. */
  pause(): void;
  resume(): void;
  /** Stops every smbd process of this server; keeps its files so restart() can follow. */
  halt(): Promise<void>;
  /** Starts smbd again on the same port with the same share. */
  restart(): Promise<void>;
  /** Stops smbd and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<number>();
// A test that throws before its cleanup must not leave smbd (or its children) behind.
process.on('exit', () => {
  for (const pgid of running) signalGroup(pgid, 'SIGKILL');
});

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

/**
 * A real smbd on 127.0.0.1 and a free high port: a standalone server with one share
 * (`recordings`) in a temp directory, one user, no NetBIOS, all its state in that directory
 * (the configuration of ../shared/design/dependencies.md). Needs root.
 */
export async function startSamba(options: SambaOptions): Promise<SambaServer> {
  if (!installed())
    throw new Error(`${SMBD} is not installed: the Samba tests need it (CI installs it in .ci/run)`);
  const user = options.user ?? DEFAULT_USER;
  const account = lookupUser(user);
  const dir = mkdtempSync(join(tmpdir(), 'cti-samba-'));
  chmodSync(dir, 0o755); // smbd reaches the share as `user`, through this directory
  const shareDir = join(dir, 'share');
  mkdirSync(shareDir);
  chownSync(shareDir, account.uid, account.gid);
  let lastError: unknown;
  // A free port can be taken between finding and binding it: try another.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const conf = writeConfig(dir, shareDir, port, user);
    try {
      addUser(conf, user, options.password);
      return await launch({ dir, conf, port, shareDir, user, maxFileBytes: options.maxFileBytes });
    } catch (error) {
      lastError = error;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

function lookupUser(user: string): { uid: number; gid: number } {
  const out = spawnSync('getent', ['passwd', user], { encoding: 'utf8', timeout: 5_000 });
  const fields = out.stdout?.trim().split(':') ?? [];
  if (out.status !== 0 || fields.length < 4)
    throw new Error(`no system account "${user}" for the Samba user`);
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

function writeConfig(dir: string, shareDir: string, port: number, user: string): string {
  const state = (name: string) => {
    const path = join(dir, name);
    mkdirSync(path, { recursive: true });
    return path;
  };
  const conf = join(dir, 'smb.conf');
  writeFileSync(
    conf,
    `[global]
server role = standalone server
smb ports = ${port}
interfaces = lo
bind interfaces only = yes
disable netbios = yes
server services = -nbt
passdb backend = tdbsam:${state('private')}/passdb.tdb
map to guest = never
load printers = no
disable spoolss = yes
pid directory = ${state('pid')}
lock directory = ${state('lock')}
state directory = ${state('state')}
cache directory = ${state('cache')}
private dir = ${state('private')}
ncalrpc dir = ${state('ncalrpc')}
log file = ${state('log')}/log.%m

[${SAMBA_SHARE}]
path = ${shareDir}
read only = no
valid users = ${user}
`,
  );
  return conf;
}

function addUser(conf: string, user: string, password: string): void {
  const out = spawnSync(SMBPASSWD, ['-c', conf, '-s', '-a', user], {
    input: `${password}\n${password}\n`,
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (out.status !== 0) throw new Error(`smbpasswd failed (${out.status}): ${out.stderr}${out.stdout}`);
}

interface LaunchSpec {
  dir: string;
  conf: string;
  port: number;
  shareDir: string;
  user: string;
  maxFileBytes: number | undefined;
}

async function launch(spec: LaunchSpec): Promise<SambaServer> {
  let child = await spawnSmbd(spec);
  let stopped = false;
  const halt = async (): Promise<void> => {
    const pgid = child.pid;
    if (pgid === undefined) return;
    if (child.exitCode === null && child.signalCode === null) {
      signalGroup(pgid, 'SIGCONT');
      signalGroup(pgid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pgid, 'SIGKILL'), STOP_TIMEOUT_MS);
      await new Promise<void>((done) => child.once('exit', () => done()));
      clearTimeout(timer);
    }
    // Connection processes may outlive the parent for a moment: none may answer after halt().
    signalGroup(pgid, 'SIGKILL');
    running.delete(pgid);
  };
  const server: SambaServer = {
    port: spec.port,
    host: '127.0.0.1',
    share: SAMBA_SHARE,
    user: spec.user,
    url: `smb://127.0.0.1:${spec.port}/${SAMBA_SHARE}`,
    shareDir: spec.shareDir,
    get pid() {
      return child.pid ?? -1;
    },
    pause: () => signalGroup(child.pid ?? 0, 'SIGSTOP'),
    resume: () => signalGroup(child.pid ?? 0, 'SIGCONT'),
    halt,
    restart: async () => {
      if (stopped) throw new Error('smbd was stopped for good');
      await halt();
      // The port may linger for a moment after the old listener died.
      let lastError: unknown;
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          child = await spawnSmbd(spec);
          return;
        } catch (error) {
          lastError = error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
      throw lastError;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await halt();
      rmSync(spec.dir, { recursive: true, force: true });
    },
  };
  return server;
}

async function spawnSmbd(spec: LaunchSpec): Promise<ChildProcess> {
  const smbdArgs = ['-s', spec.conf, '-F', '--no-process-group', '-d1'];
  const [command, args] =
    spec.maxFileBytes === undefined
      ? [SMBD, smbdArgs]
      : ['prlimit', [`--fsize=${spec.maxFileBytes}`, SMBD, ...smbdArgs]]; // prlimit execs smbd: same pid
  // detached: smbd leads a new session and process group, so stopping it (and every connection
  // child) by group never reaches our own process group.
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const pgid = child.pid;
  if (pgid !== undefined) running.add(pgid);
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + String(chunk)).slice(-4_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<string>((done) => {
    child.once('exit', (code, signal) =>
      done(`smbd exited (${code ?? signal}) on port ${spec.port}:\n${output}`),
    );
    child.once('error', (error) => done(`smbd could not start: ${error.message}`));
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  let failure: string | undefined;
  void exited.then((why) => {
    failure = why;
  });
  while (failure === undefined && Date.now() < deadline) {
    if (await accepts(spec.port)) return child;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (pgid !== undefined) {
    signalGroup(pgid, 'SIGKILL');
    running.delete(pgid);
  }
  throw new Error(
    failure ?? `smbd not accepting on port ${spec.port} after ${START_TIMEOUT_MS} ms:\n${output}`,
  );
}

function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
