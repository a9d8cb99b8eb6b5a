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

/** `cti-bridge --config-dir <dir> run` as systemd runs it: its own process, the test secrets in its environment. */
export function startDaemonProcess(
  configDir: string,
  label = 'cti-bridge run',
  options: DaemonProcessOptions = {},
): DaemonProcess {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), BIN, '--config-dir', configDir, 'run'],
    {
      env: { PATH: process.env.PATH, ...TEST_SECRET_ENV, ...options.env },
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
    exited: () => exited,
  };
}
