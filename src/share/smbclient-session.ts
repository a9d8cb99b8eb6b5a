/**
 * One running `smbclient` process, fed commands on stdin, each command's output told apart from
 * the next one's.
 *
 * smbclient has no machine-readable mode. Measured on 4.17:
 * - it goes on after a failed command, and its exit code says nothing about the commands;
 * - stdout is block-buffered, while some errors (`cli_push returned NT_STATUS_DISK_FULL`) go to
 *   stderr: `-E` sends everything to stderr, which is unbuffered, in order, as it happens;
 * - after each command we add a marker line, a made-up command with a random token: smbclient
 *   answers `<token>: command not found` right after the command's output, without asking the
 *   server. Everything between two markers belongs to one command;
 * - it reads stdin through stdio but waits for the *descriptor* to become readable before each
 *   line, so a line that arrived together with an earlier one waits in its buffer until more
 *   bytes (or EOF) arrive. While a marker is outstanding we therefore "nudge": an empty line
 *   (smbclient skips it silently) every few milliseconds, so the marker is read as soon as the
 *   command before it is done. After `end()` (EOF) no nudge is needed.
 * Markers arrive live, so each command has its own time bound, and a process killed midway still
 * tells which commands had finished.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export type SessionEndReason = 'exited' | 'timeout' | 'aborted' | 'spawn-failed';

/** How the process ended, with what it printed after the last completed command. */
export class SessionEnded extends Error {
  readonly reason: SessionEndReason;
  /** Output after the last marker: for a failed connect, smbclient's reason. */
  readonly lines: readonly string[];
  /** `exit 1`, or the signal that ended it (`SIGPIPE` when the server vanished mid-write). */
  readonly how: string;

  constructor(reason: SessionEndReason, lines: readonly string[], how: string, cause?: unknown) {
    super(`smbclient ended (${reason}, ${how})`, { cause });
    this.name = 'SessionEnded';
    this.reason = reason;
    this.lines = lines;
    this.how = how;
  }
}

export interface SessionOptions {
  executable: string;
  /** Never a secret: the credentials travel in the authentication file named here. */
  args: readonly string[];
  /** Bound for connecting and logging in. */
  connectBudgetMs: number;
  signal?: AbortSignal;
}

/** Longest line we send: smbclient reads commands into a BUFSIZ buffer. */
export const MAX_COMMAND_LENGTH = 4_000;
/** A session ended without pending work gets this long to exit on its own before SIGKILL. */
const EXIT_GRACE_MS = 5_000;
const NUDGE_FIRST_MS = 1;
const NUDGE_MAX_MS = 16;

const live = new Set<ChildProcess>();
// A daemon that exits mid-copy must not leave smbclient pushing a file nobody waits for.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

interface Pending {
  token: string;
  budgetMs: number;
  resolve(lines: string[]): void;
  reject(ended: SessionEnded): void;
}

export class SmbclientSession {
  readonly #child: ChildProcess;
  readonly #nonce = randomBytes(6).toString('hex');
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => this.#kill('aborted');
  /** Commands sent whose marker has not come back, oldest first. */
  readonly #pending: Pending[] = [];
  readonly #closed: Promise<SessionEnded>;
  readonly #connected: Promise<string[]>;
  #seq = 0;
  #lines: string[] = [];
  #partial = { out: '', err: '' };
  #timer: NodeJS.Timeout | undefined;
  #nudgeTimer: NodeJS.Timeout | undefined;
  #nudgeMs = NUDGE_FIRST_MS;
  #stdinEnded = false;
  #killReason: SessionEndReason | undefined;
  #ended: SessionEnded | undefined;

  constructor(options: SessionOptions) {
    this.#signal = options.signal;
    // A minimal environment: nothing of the daemon's (tokens, PASSWD, USER) reaches smbclient,
    // and C messages keep the output parseable.
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' };
    if (process.env.HOME) env.HOME = process.env.HOME;
    this.#child = spawn(options.executable, [...options.args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    live.add(this.#child);
    this.#child.stdin?.on('error', () => {}); // EPIPE once smbclient is gone: the exit says why
    this.#child.stdout?.on('data', (chunk: Buffer) => this.#feed('out', chunk));
    this.#child.stderr?.on('data', (chunk: Buffer) => this.#feed('err', chunk));
    this.#closed = new Promise((done) => {
      let spawnError: unknown;
      this.#child.once('error', (error) => {
        spawnError = error;
        if (this.#child.pid === undefined) done(this.#finish('spawn-failed', 'not started', error)); // no 'close' follows
      });
      this.#child.once('close', (code, signal) => {
        const how = signal ?? `exit ${code}`;
        done(this.#finish(this.#killReason ?? (spawnError ? 'spawn-failed' : 'exited'), how, spawnError));
      });
    });
    if (this.#signal?.aborted) this.#kill('aborted');
    else this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    // A lone marker: answered once smbclient is connected, logged in and reading commands.
    this.#connected = this.#send(undefined, options.connectBudgetMs);
    this.#connected.catch(() => {}); // observed through connected(), if at all
  }

  /** Resolves once smbclient is connected, logged in and reading commands; rejects with SessionEnded. */
  async connected(): Promise<void> {
    await this.#connected;
  }

  /**
   * Sends one command line and resolves with what smbclient printed for it. Commands queue: each
   * may be sent before the previous one's answer; each gets `budgetMs` from the moment smbclient
   * can start on it, then the process is killed. Rejects with SessionEnded when the process ends
   * before the answer.
   */
  command(line: string, budgetMs: number): Promise<string[]> {
    if (line.length > MAX_COMMAND_LENGTH || /[\r\n]/.test(line)) {
      return Promise.reject(new Error('smbclient session: command too long or multi-line'));
    }
    return this.#send(line, budgetMs);
  }

  /**
   * No more commands: stdin is closed, smbclient works through what it has and exits. Resolves
   * with how it ended. With nothing left to do it gets a few seconds before SIGKILL.
   */
  async end(): Promise<SessionEnded> {
    if (!this.#stdinEnded && !this.#ended) {
      this.#stdinEnded = true;
      this.#child.stdin?.end();
      this.#graceIfIdle();
    }
    return this.#closed;
  }

  /** Stops the process now; pending commands reject with `reason`. */
  kill(reason: 'aborted' | 'timeout'): void {
    this.#kill(reason);
  }

  #send(line: string | undefined, budgetMs: number): Promise<string[]> {
    if (this.#ended) return Promise.reject(this.#ended);
    if (this.#stdinEnded) return Promise.reject(new Error('smbclient session: already ended'));
    const token = `cti-mark-${this.#nonce}-${++this.#seq}`;
    return new Promise((resolve, reject) => {
      this.#pending.push({ token, budgetMs, resolve, reject });
      this.#child.stdin?.write(line === undefined ? `${token}\n` : `${line}\n${token}\n`);
      if (this.#pending.length === 1) this.#arm();
      // A new command: nudge soon again, even if the last nudge had backed off.
      clearTimeout(this.#nudgeTimer);
      this.#nudgeTimer = undefined;
      this.#nudgeMs = NUDGE_FIRST_MS;
      this.#scheduleNudge();
    });
  }

  /** Once stdin is closed and every answer is in, smbclient should exit: a bound for that. */
  #graceIfIdle(): void {
    if (!this.#stdinEnded || this.#pending.length > 0 || this.#ended) return;
    const timer = setTimeout(() => this.#kill('exited'), EXIT_GRACE_MS);
    void this.#closed.then(() => clearTimeout(timer));
  }

  /** The bound of the command smbclient works on now. */
  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const head = this.#pending[0];
    if (head && !this.#ended) this.#timer = setTimeout(() => this.#kill('timeout'), head.budgetMs);
  }

  #scheduleNudge(): void {
    if (this.#nudgeTimer || this.#stdinEnded || this.#ended || this.#pending.length === 0) return;
    this.#nudgeTimer = setTimeout(() => {
      this.#nudgeTimer = undefined;
      if (this.#stdinEnded || this.#ended || this.#pending.length === 0) return;
      this.#child.stdin?.write('\n');
      this.#nudgeMs = Math.min(this.#nudgeMs * 2, NUDGE_MAX_MS);
      this.#scheduleNudge();
    }, this.#nudgeMs);
  }

  #kill(reason: SessionEndReason): void {
    if (this.#ended || this.#killReason) return;
    this.#killReason = reason;
    this.#child.kill('SIGKILL');
  }

  #feed(stream: 'out' | 'err', chunk: Buffer): void {
    const text = this.#partial[stream] + chunk.toString('utf8');
    const parts = text.split('\n');
    this.#partial[stream] = parts.pop() ?? '';
    for (const line of parts) this.#line(line);
  }

  #line(line: string): void {
    const head = this.#pending[0];
    if (!head || !line.startsWith(`${head.token}:`)) {
      this.#lines.push(line);
      return;
    }
    this.#pending.shift();
    const lines = this.#lines;
    this.#lines = [];
    this.#arm();
    this.#graceIfIdle();
    head.resolve(lines);
  }

  #finish(reason: SessionEndReason, how: string, cause: unknown): SessionEnded {
    if (this.#ended) return this.#ended;
    clearTimeout(this.#timer);
    clearTimeout(this.#nudgeTimer);
    for (const rest of [this.#partial.out, this.#partial.err]) if (rest) this.#lines.push(rest);
    const ended = new SessionEnded(reason, this.#lines, how, cause);
    this.#ended = ended;
    live.delete(this.#child);
    this.#signal?.removeEventListener('abort', this.#onAbort);
    for (const pending of this.#pending.splice(0)) pending.reject(ended);
    return ended;
  }
}
