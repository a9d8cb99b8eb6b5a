import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { captureOutput } from './log-capture.ts';
import { TEST_SECRET_ENV } from './test-secrets.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/cti-bridge.js');

export interface DaemonProcess {
  readonly child: ChildProcess;
  /** Whether the daemon's output (JSON log lines) contains `text` so far. */
  said(text: string): boolean;
  /** How many log lines contain `text`. */
  count(text: string): number;
  /** Everything the process wrote so far (stdout and stderr), as journald would receive it. */
  output(): string;
  /** The last `lines` lines of output under a heading with the label: for a timeout's error. */
  tail(lines?: number): string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited(): Promise<number | string>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface DaemonProcessOptions {
  /** More environment (NOTIFY_SOCKET, WATCHDOG_USEC, a PATH of its own…). */
  env?: Record<string, string>;
  /** Node options before the script, e.g. `--import` of a test-only preload. */
  nodeArgs?: string[];
  /** A pipe on the child's stdin (for a preload that listens there); otherwise none. */
  stdin?: boolean;
}

/**
 * `cti-bridge --config-dir <dir> run` as systemd runs it: its own process, the test secrets in its
 * environment. Its operations listener takes a free loopback port (`CTI_BRIDGE_LISTEN`), so test
 * daemons running side by side never clash on 9464; `env: { CTI_BRIDGE_LISTEN: "" }` leaves it to the profile.
 */
export function startDaemonProcess(
  configDir: string,
  label = 'cti-bridge run',
  options: DaemonProcessOptions = {},
): DaemonProcess {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), BIN, '--config-dir', configDir, 'run'],
    {
      env: { PATH: process.env.PATH, ...TEST_SECRET_ENV, CTI_BRIDGE_LISTEN: '127.0.0.1:0', ...options.env },
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  const capture = captureOutput(label);
  let text = '';
  const output = (chunk: Buffer) => {
    capture(chunk);
    text += String(chunk);
    if (process.env.DEBUG_DAEMON) process.stderr.write(`[${label}] ${chunk}`);
  };
  child.stdout?.on('data', output);
  child.stderr?.on('data', output);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return {
    child,
    said: (what) => text.includes(what),
    count: (what) => text.split('\n').filter((line) => line.includes(what)).length,
    output: () => text,
    tail: (lines = 40) => `last output of ${label}:\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`,
    exited: () => exited,
  };
}
