import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const PYTHON = 'python3';
const START_TIMEOUT_MS = 5_000;

/**
 * The receiving end of $NOTIFY_SOCKET, as systemd holds it: a unix datagram socket, bound to a
 * path or in the abstract namespace. Node cannot open one, so a few lines of Python do, and
 * print each datagram as a JSON line stamped with CLOCK_MONOTONIC (the clock of
 * process.hrtime.bigint() here), so arrival times compare with this process's.
 * recv() without ancillary data closes the fd that systemd-notify's BARRIER=1 passes, which is
 * how systemd answers the barrier too.
 */
const RECEIVER = `
import json, socket, sys, time
address = sys.argv[1]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind('\\0' + address[1:] if address.startswith('@') else address)
print(json.dumps({'listening': address}), flush=True)
while True:
    data = sock.recv(65536)
    print(json.dumps({'at': time.monotonic_ns(), 'message': data.decode('utf-8', 'replace')}), flush=True)
`;

export interface NotifyMessage {
  /** Arrival, CLOCK_MONOTONIC nanoseconds (compare with process.hrtime.bigint()). */
  at: bigint;
  /** `READY=1\nSTATUS=…` as sent. */
  text: string;
  fields: Record<string, string>;
}

export interface NotifySocket {
  /** The value for NOTIFY_SOCKET: a path, or `@name` for the abstract namespace. */
  readonly address: string;
  /** Every message but systemd-notify's BARRIER=1, in arrival order (live). */
  readonly messages: readonly NotifyMessage[];
  /** Messages that set `name` (to `value`, when given). */
  with(name: string, value?: string): NotifyMessage[];
  /** Kills the receiver and removes its directory. Idempotent. */
  close(): Promise<void>;
}

function installed(): boolean {
  return spawnSync(PYTHON, ['--version'], { stdio: 'ignore', timeout: 5_000 }).status === 0;
}

/** Why the notify tests are skipped, or undefined when they run: never skipped under CI (.ci/run installs python3). */
export function notifySocketSkipReason(): string | undefined {
  if (process.env.CI || installed()) return undefined;
  return 'python3 is not installed (apt-get install python3); required, not skipped, under CI';
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface NotifySocketOptions {
  /** Bind in the abstract namespace (`@…`) instead of at a path. */
  abstract?: boolean;
  /** Bind at this path (its directory is the caller's) instead of a new one. */
  at?: string;
}

export async function startNotifySocket(options: NotifySocketOptions = {}): Promise<NotifySocket> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cti-notify-'));
  const address = options.abstract
    ? `@cti-bridge-test-${randomBytes(6).toString('hex')}`
    : (options.at ?? path.join(dir, 'notify.sock'));
  const child = spawn(PYTHON, ['-c', RECEIVER, address], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const messages: NotifyMessage[] = [];
  let pending = '';
  let stderr = '';
  let listening: () => void = () => {};
  const up = new Promise<void>((resolve) => {
    listening = resolve;
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += String(chunk);
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const parsed = JSON.parse(line) as { listening?: string; at?: number; message?: string };
      if (parsed.listening) listening();
      if (parsed.message === undefined || parsed.message === 'BARRIER=1') continue;
      messages.push({ at: BigInt(parsed.at!), text: parsed.message, fields: fieldsOf(parsed.message) });
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += String(chunk);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  const failed = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`notify receiver not up in ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    child.once('error', reject);
    void exited.then(() => reject(new Error(`notify receiver exited: ${stderr}`)));
  });
  failed.catch(() => {}); // after start-up, the receiver's exit on close() is no failure
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    running.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([up, failed]);
  } catch (error) {
    await close();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    address,
    messages,
    with: (name, value) =>
      messages.filter((m) => name in m.fields && (value === undefined || m.fields[name] === value)),
    close,
  };
}

function fieldsOf(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1);
  }
  return fields;
}
