/**
 * The share over SMB through Samba's own `smbclient` (see README "Dependencies": the pure-JS
 * clients speak no SMB3, no NTLMv2 or corrupt data). One smbclient process per list(), two per
 * copy() batch (upload and publish, smbclient-copy.ts), each fed commands on stdin
 * (smbclient-session.ts).
 *
 * Options passed to smbclient, and why:
 * - `-A <file>`: the only way the credentials travel (a 0600 file in a 0700 directory of our own,
 *   deleted on close): never argv (visible in `ps`), never the environment (/proc/<pid>/environ).
 * - `-m SMB3`: the highest dialect smbclient knows (3.1.1); the default minimum (SMB2_02) still
 *   lets an old NAS answer. Signing and encryption stay at smbclient's defaults (`client signing`:
 *   offered, used when the server requires it, as Windows Server 2025 does; `client smb encrypt`:
 *   if_required), so the server's policy decides; forcing them would cost CPU on every copy for
 *   nothing the server asked for, and an admin who wants them can say so in smb.conf.
 * - `-E`: all output on stderr, unbuffered and in order (the session's framing needs it).
 * - `-q`: no "Try help" banner.
 * - `-p <port>`: from the URL, default 445.
 * The system's smb.conf is read as usual, so an admin can tune the client there.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from '../log/logger.ts';
import type { Secret } from '../util/secret.ts';
import { type CopyItem, type CopyOutcome, ShareError, type ShareTransport } from './share-transport.ts';
import { type CopyContext, copyBatch } from './smbclient-copy.ts';
import { explain, NOT_FOUND_CODES, parseListing, problemIn, type SmbProblem } from './smbclient-output.ts';
import { MAX_COMMAND_LENGTH, SessionEnded, SmbclientSession } from './smbclient-session.ts';

export interface SmbclientTransportOptions {
  host: string;
  /** Default 445. */
  port?: number;
  share: string;
  domain?: string;
  username: string;
  password: Secret;
  logger: Logger;
  /** Bound for connecting and for each command that moves no file data. Default 30 s. */
  timeoutMs?: number;
  /**
   * Slowest transfer tolerated: a put may take timeoutMs + size / this before smbclient is
   * killed. Default 256 KiB/s (a slow VPN); smbclient's own 20 s request timeout usually ends a
   * dead connection long before.
   */
  minBytesPerSecond?: number;
  /** Default `smbclient` on PATH. */
  smbclientPath?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** `cti-smb-<pid>-XXXXXX` in the temp directory: the pid tells whose it is. */
const AUTH_DIR_PREFIX = 'cti-smb-';
const AUTH_DIR_NAME = /^cti-smb-(\d+)-/;
let staleRemoved = false;
const DEFAULT_MIN_BYTES_PER_SECOND = 256 * 1024;

export class SmbclientTransport implements ShareTransport {
  readonly name: string;
  readonly #options: SmbclientTransportOptions;
  readonly #timeoutMs: number;
  readonly #minBytesPerSecond: number;
  readonly #context: CopyContext;
  readonly #log: Logger;
  #authDir: string | undefined;
  #closed = false;

  constructor(options: SmbclientTransportOptions) {
    this.#options = options;
    this.name = `smb://${options.host}:${options.port ?? 445}/${options.share}`;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#minBytesPerSecond = options.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND;
    this.#log = options.logger.child('share').with({ share: this.name });
    // Whatever the daemon's logger writes, the password is blanked out.
    options.logger.secrets.add(options.password.reveal());
    this.#context = {
      name: this.name,
      timeoutMs: this.#timeoutMs,
      putBudgetMs: (bytes) => this.#timeoutMs + Math.ceil((bytes / this.#minBytesPerSecond) * 1000),
      problemError: (problem, doing) => this.#problemError(problem, doing),
      endedError: (ended, doing) => this.#endedError(ended, doing),
    };
  }

  async list(dir: string, signal?: AbortSignal): Promise<Map<string, number>> {
    const bad = pathProblem(dir, true);
    if (bad)
      throw new ShareError('other', this.name, `cannot list ${JSON.stringify(dir)} on ${this.name}: ${bad}`);
    const session = await this.#connect(this.#spawn(signal));
    const doing = `listing "${dir}"`;
    const listing = session.command(`ls "${dir === '' ? '*' : `${dir}/*`}"`, this.#timeoutMs);
    const ended = await session.end();
    const lines = await listing.catch(() => undefined);
    if (!lines) throw this.#endedError(ended, doing);
    const sizes = new Map<string, number>();
    const problem = problemIn(lines);
    if (problem?.code !== undefined && NOT_FOUND_CODES.has(problem.code)) return sizes;
    if (problem) throw this.#problemError(problem, doing);
    for (const entry of parseListing(lines)) if (!entry.directory) sizes.set(entry.name, entry.size);
    return sizes;
  }

  async copy(items: readonly CopyItem[], signal?: AbortSignal): Promise<CopyOutcome[]> {
    const outcomes = new Map<CopyItem, CopyOutcome>();
    const valid: CopyItem[] = [];
    for (const item of items) {
      const bad = pathProblem(item.remotePath, false) ?? localPathProblem(item.localFile);
      if (bad)
        outcomes.set(item, {
          item,
          ok: false,
          error: new ShareError('other', this.name, `not copied: ${bad}`),
        });
      else valid.push(item);
    }
    if (valid.length > 0) {
      // The publish session starts once the upload session is in: its login then overlaps the
      // first uploads instead of competing with the upload session's own start.
      const upload = await this.#connect(this.#spawn(signal));
      let publish: SmbclientSession;
      try {
        publish = this.#spawn(signal);
      } catch (error) {
        upload.kill('aborted');
        await upload.end();
        throw error;
      }
      const started = performance.now();
      const done = await copyBatch(this.#context, upload, publish, valid);
      for (const outcome of done) outcomes.set(outcome.item, outcome);
      this.#log.debug('copy batch finished', {
        files: done.length,
        copied: done.filter((o) => o.ok).length,
        bytes: done.reduce((sum, o) => sum + (o.ok ? o.remoteSize : 0), 0),
        ms: Math.round(performance.now() - started),
      });
    }
    return items.map((item) => outcomes.get(item)!);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#authDir) rmSync(this.#authDir, { recursive: true, force: true });
    this.#authDir = undefined;
  }

  #spawn(signal: AbortSignal | undefined): SmbclientSession {
    if (this.#closed) throw new ShareError('other', this.name, `${this.name}: the transport is closed`);
    if (signal?.aborted) throw new ShareError('aborted', this.name, `work on ${this.name} was cancelled`);
    const o = this.#options;
    const args = [
      `//${o.host}/${o.share}`,
      '-p',
      String(o.port ?? 445),
      '-A',
      this.#authFile(),
      '-m',
      'SMB3',
      '-E',
      '-q',
    ];
    return new SmbclientSession({
      executable: o.smbclientPath ?? 'smbclient',
      args,
      connectBudgetMs: this.#timeoutMs,
      ...(signal ? { signal } : {}),
    });
  }

  /** The session once it is logged in, or the ShareError saying why the share cannot be used. */
  async #connect(session: SmbclientSession): Promise<SmbclientSession> {
    try {
      await session.connected();
      return session;
    } catch (error) {
      await session.end();
      throw error instanceof SessionEnded ? this.#endedError(error, 'connecting') : error;
    }
  }

  /** Writes the authentication file once per transport (until close()). */
  #authFile(): string {
    const o = this.#options;
    const password = o.password.reveal();
    for (const [field, value] of [
      ['user name', o.username],
      ['password', password],
      ['domain', o.domain ?? ''],
    ] as const) {
      // smbclient reads the file line by line and drops leading blanks of a value.
      if (/[\r\n]/.test(value) || /^[ \t]/.test(value)) {
        throw new ShareError(
          'auth',
          this.name,
          `the share ${field} for ${this.name} contains a line break or starts with a blank, which smbclient cannot take`,
        );
      }
    }
    if (!this.#authDir) {
      removeStaleAuthDirs();
      const dir = mkdtempSync(path.join(tmpdir(), `${AUTH_DIR_PREFIX}${process.pid}-`)); // mode 0700
      const lines = [`username = ${o.username}`, `password = ${password}`];
      if (o.domain) lines.push(`domain = ${o.domain}`);
      writeFileSync(path.join(dir, 'auth'), `${lines.join('\n')}\n`, { mode: 0o600, flag: 'wx' });
      this.#authDir = dir;
    }
    return path.join(this.#authDir, 'auth');
  }

  /** A ShareError for what smbclient printed, in words an admin can act on. */
  #problemError(problem: SmbProblem, doing: string): ShareError {
    const o = this.#options;
    const said = this.#scrub(problem.line.trim());
    let message: string;
    if (problem.kind === 'auth') message = `${explain(problem)} for ${this.name} (user ${o.username})`;
    else if (problem.kind === 'no-share')
      message = `no share "${o.share}" on ${o.host}:${o.port ?? 445} (${this.name})`;
    else if (problem.kind === 'unreachable') message = `cannot reach ${this.name}: ${explain(problem)}`;
    else message = `${explain(problem)} on ${this.name} while ${doing}`;
    return new ShareError(problem.kind, this.name, `${message} [smbclient: ${said}]`);
  }

  /** A ShareError for a process that ended early: killed by us, or exited (a failed connect). */
  #endedError(ended: SessionEnded, doing: string): ShareError {
    if (ended.reason === 'aborted') {
      return new ShareError('aborted', this.name, `${doing} on ${this.name} was cancelled`);
    }
    if (ended.reason === 'timeout') {
      return new ShareError(
        'timeout',
        this.name,
        `no answer from ${this.name} in time while ${doing}; smbclient was stopped`,
      );
    }
    if (ended.reason === 'spawn-failed') {
      const cause = ended.cause instanceof Error ? ended.cause.message : String(ended.cause);
      return new ShareError(
        'other',
        this.name,
        `smbclient could not be started for ${this.name} (apt-get install smbclient): ${cause}`,
      );
    }
    const problem = problemIn(ended.lines, { strict: true });
    if (problem) return this.#problemError(problem, doing);
    // Killed by a signal (SIGPIPE: it wrote to a connection the server had closed) or an exit
    // without a word: the connection is what failed.
    return new ShareError(
      'unreachable',
      this.name,
      `cannot reach ${this.name}: smbclient ended (${ended.how}) while ${doing}, the connection broke`,
    );
  }

  #scrub(text: string): string {
    const password = this.#options.password.reveal();
    return password ? text.split(password).join('[redacted]') : text;
  }
}

/**
 * A daemon that was killed (SIGKILL, power loss with a persistent /tmp) could not delete its
 * authentication file: the first transport of the next process removes those of processes that
 * are gone. Only our own user's, only when the pid no longer exists.
 */
function removeStaleAuthDirs(): void {
  if (staleRemoved) return;
  staleRemoved = true;
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(AUTH_DIR_NAME.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    const dir = path.join(tmpdir(), name);
    try {
      if (statSync(dir).uid === process.getuid?.()) rmSync(dir, { recursive: true, force: true });
    } catch {
      // Gone already, or not ours to remove.
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, another user's
  }
}

/**
 * Why a share path cannot be handed to smbclient, or undefined. Relative, forward slashes;
 * smbclient's command parser knows only double quotes, so a quote, a line break or `;` cannot be
 * carried, nor wildcards (`ls` and `del` take masks) or a `:` (an alternate data stream on Windows).
 */
export function pathProblem(remote: string, allowRoot: boolean): string | undefined {
  if (remote === '') return allowRoot ? undefined : 'empty path';
  if (remote.length > 1_000) return 'path longer than 1000 characters';
  const bad = /["\\;*?<>|:\p{Cc}]/u.exec(remote);
  if (bad)
    return `${JSON.stringify(remote)} contains ${JSON.stringify(bad[0])}, which smbclient cannot be given safely`;
  for (const segment of remote.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      return `${JSON.stringify(remote)} is not a plain relative path (empty, . or .. part, or a leading /)`;
    }
  }
  return undefined;
}

function localPathProblem(local: string): string | undefined {
  if (!path.isAbsolute(local)) return `local file ${JSON.stringify(local)} is not an absolute path`;
  if (local.length > MAX_COMMAND_LENGTH / 2)
    return `local path longer than ${MAX_COMMAND_LENGTH / 2} characters`;
  const bad = /[";\p{Cc}]/u.exec(local);
  if (bad)
    return `local file ${JSON.stringify(local)} contains ${JSON.stringify(bad[0])}, which smbclient cannot be given safely`;
  return undefined;
}
