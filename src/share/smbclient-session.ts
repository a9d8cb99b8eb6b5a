/**
 * One running `smbclient` process: connects, then runs one script of commands, each command's
 * output told apart from the next one's.
 *
 * smbclient has no machine-readable mode. Measured on 4.17:
 * - it goes on after a failed command, and its exit code says nothing about the commands;
 * - stdout is block-buffered, while some errors (`cli_push returned NT_STATUS_DISK_FULL`) go to
 *   stderr: `-E` sends everything to stderr, which is unbuffered, in order, as it happens;
 * - after each command we add a marker line, a made-up command with a random token: smbclient
 *   answers `<token>: command not found` right after the command's output, without asking the
 *   server. Everything between two markers belongs to one command;
 * - it reads stdin through stdio but waits for the *descriptor* to become readable before each
 *   line, so a line already in its buffer waits until more bytes or EOF arrive. Feeding commands
 *   one at a time therefore stalls; a whole script followed by EOF never does (EOF keeps the
 *   descriptor readable). Hence: first a lone marker (connected and logged in?), then the whole
 *   script at once and EOF.
 * Markers arrive live, so each command gets its own time bound, and a process killed midway
 * still tells which commands had finished.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export type SessionEndReason = 'exited' | 'timeout' | 'aborted' | 'spawn-failed';

/** How the process ended, with what it printed after the last completed command. */
export class SessionEnded extends Error {
  readonly reason: SessionEndReason;
  /** Output after the last marker: for a failed connect, smbclient's reason. */
  readonly lines: readonly string[];
  readonly exitCode: number | null;

  constructor(reason: SessionEndReason, lines: readonly string[], exitCode: number | null, cause?: unknown) {
    super(`smbclient ended (${reason})`, { cause });
    this.name = 'SessionEnded';
    this.reason = reason;
    this.lines = lines;
    this.exitCode = exitCode;
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

export interface ScriptStep {
  /** One smbclient command line. */
  command: string;
  /** The process is killed when this command has not finished after this long. */
  budgetMs: number;
}

export interface ScriptResult {
  /** One entry per completed step, in order: the lines it printed. Fewer than steps: cut off. */
  outputs: string[][];
  ended: SessionEnded;
}

/** Longest line we send: smbclient reads commands into a BUFSIZ buffer. */
export const MAX_COMMAND_LENGTH = 4_000;
/** A session closed without a script gets this long to exit on its own before SIGKILL. */
const CLOSE_GRACE_MS = 5_000;

const live = new Set<ChildProcess>();
// A daemon that exits mid-copy must not leave smbclient pushing a file nobody waits for.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class SmbclientSession {
  readonly #child: ChildProcess;
  readonly #nonce = randomBytes(6).toString('hex');
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => this.#kill('aborted');
  /** Tokens of the markers sent and not yet seen, with the budget of the step each one ends. */
  readonly #expected: Array<{ token: string; budgetMs: number }> = [];
  readonly #outputs: string[][] = [];
  readonly #closed: Promise<SessionEnded>;
  readonly #connected: Promise<void>;
  #seq = 0;
  #lines: string[] = [];
  #partial = { out: '', err: '' };
  #timer: NodeJS.Timeout | undefined;
  #killReason: SessionEndReason | undefined;
  #ended: SessionEnded | undefined;
  #scripted = false;
  #onConnected: (() => void) | undefined;

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
        if (this.#child.pid === undefined) done(this.#finish('spawn-failed', null, error)); // no 'close' follows
      });
      this.#child.once('close', (code) => {
        done(this.#finish(this.#killReason ?? (spawnError ? 'spawn-failed' : 'exited'), code, spawnError));
      });
    });
    this.#connected = new Promise<void>((resolve, reject) => {
      this.#onConnected = resolve;
      void this.#closed.then((ended) => reject(ended));
    });
    this.#connected.catch(() => {}); // observed through connected(), if at all
    if (this.#signal?.aborted) this.#kill('aborted');
    else this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#send([{ command: undefined, budgetMs: options.connectBudgetMs }]);
  }

  /** The process id, for tests that look at what the process was given. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Resolves once smbclient is connected, logged in and reading commands; rejects with SessionEnded. */
  connected(): Promise<void> {
    return this.#connected;
  }

  /**
   * Runs the script (once per session) and resolves when smbclient has exited: with the output of
   * every step that completed and how the process ended. Never rejects.
   */
  async run(steps: readonly ScriptStep[]): Promise<ScriptResult> {
    if (this.#scripted) throw new Error('smbclient session: one script per session');
    this.#scripted = true;
    for (const step of steps) {
      if (step.command.length > MAX_COMMAND_LENGTH || /[\r\n]/.test(step.command)) {
        throw new Error('smbclient session: command too long or multi-line');
      }
    }
    this.#send(steps);
    this.#child.stdin?.end();
    const ended = await this.#closed;
    return { outputs: this.#outputs.slice(1), ended }; // [0] is the connect step
  }

  /** Ends a session that ran no script (stdin closed, SIGKILL if it lingers). Idempotent. */
  async close(): Promise<SessionEnded> {
    if (!this.#ended && !this.#scripted) {
      this.#scripted = true;
      this.#child.stdin?.end();
      const timer = setTimeout(() => this.#kill('exited'), CLOSE_GRACE_MS);
      await this.#closed;
      clearTimeout(timer);
    }
    return this.#closed;
  }

  /** Stops the process now; its pending steps end with `reason`. */
  kill(reason: 'aborted' | 'timeout'): void {
    this.#kill(reason);
  }

  #send(steps: ReadonlyArray<{ command: string | undefined; budgetMs: number }>): void {
    if (this.#ended) return;
    const text: string[] = [];
    for (const step of steps) {
      const token = `cti-mark-${this.#nonce}-${++this.#seq}`;
      this.#expected.push({ token, budgetMs: step.budgetMs });
      if (step.command !== undefined) text.push(step.command);
      text.push(token);
    }
    if (text.length === 0) return;
    const idle = this.#timer === undefined;
    this.#child.stdin?.write(`${text.join('\n')}\n`);
    if (idle) this.#arm();
  }

  /** The bound of the step smbclient works on now, if one was sent. */
  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const next = this.#expected[0];
    if (next && !this.#ended) this.#timer = setTimeout(() => this.#kill('timeout'), next.budgetMs);
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
    const next = this.#expected[0];
    if (!next || !line.startsWith(`${next.token}:`)) {
      this.#lines.push(line);
      return;
    }
    this.#expected.shift();
    this.#outputs.push(this.#lines);
    this.#lines = [];
    if (this.#outputs.length === 1) this.#onConnected?.();
    this.#arm();
  }

  #finish(reason: SessionEndReason, code: number | null, cause: unknown): SessionEnded {
    if (this.#ended) return this.#ended;
    clearTimeout(this.#timer);
    for (const rest of [this.#partial.out, this.#partial.err]) if (rest) this.#lines.push(rest);
    this.#ended = new SessionEnded(reason, this.#lines, code, cause);
    live.delete(this.#child);
    this.#signal?.removeEventListener('abort', this.#onAbort);
    return this.#ended;
  }
}
