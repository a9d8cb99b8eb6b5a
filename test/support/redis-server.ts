import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's path; otherwise whatever `redis-server` is on PATH. */
const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';
const START_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 3_000;

function installed(): boolean {
  return spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore', timeout: 5_000 }).status === 0;
}

/**
 * Why the redis tests are skipped, or undefined when they run. They are skipped only on a
 * developer machine without redis-server; under CI (`CI` set) they run and a missing
 * redis-server fails them (.ci/run installs it).
 */
export function redisSkipReason(): string | undefined {
  if (process.env.CI || installed()) return undefined;
  return 'redis-server is not installed (apt-get install redis-server); required, not skipped, under CI';
}

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`, without the password. */
  readonly url: string;
  readonly pid: number;
  /** SIGSTOP: the server keeps its connections but answers nothing. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// A test that throws before its cleanup must not leave a server behind.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * A real redis-server on 127.0.0.1 and a free high port, in its own temp directory, without
 * persistence (no RDB, no AOF); with `requirepass` when a password is given.
 */
export async function startRedis(options: { password?: string } = {}): Promise<RedisServer> {
  if (!installed()) {
    throw new Error(`${REDIS_SERVER} is not installed: the redis tests need it (CI installs it in .ci/run)`);
  }
  let lastError: unknown;
  // A free port can be taken between finding and binding it: try another.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await launch(port, options.password);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function launch(port: number, password: string | undefined): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'cti-redis-'));
  const args = [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--loglevel',
    'notice',
    '--logfile',
    '',
  ];
  if (password !== undefined) args.push('--requirepass', password);
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.once('exit', () => running.delete(child));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`redis-server not ready after ${START_TIMEOUT_MS} ms:\n${output}`)),
        START_TIMEOUT_MS,
      );
      const onData = (chunk: Buffer) => {
        output += String(chunk);
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          ready();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('error', (error) => {
        clearTimeout(timer);
        fail(error);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        fail(new Error(`redis-server exited (${code ?? signal}) on port ${port}:\n${output}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  child.stdout?.resume();
  child.stderr?.resume();
  const pid = child.pid;
  if (pid === undefined) throw new Error('redis-server has no pid');
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid,
    pause: () => process.kill(pid, 'SIGSTOP'),
    resume: () => process.kill(pid, 'SIGCONT'),
    stop,
  };
}

/** A port the kernel just gave out (ephemeral range: high) and is free again. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') done(address.port);
        else fail(new Error('no port'));
      });
    });
  });
}
