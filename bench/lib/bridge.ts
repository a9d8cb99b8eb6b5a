import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { ResolvedProfile } from '../../src/config/config-dir.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import { CallIntegration, type IntegrationTuning } from '../../src/integration/call-integration.ts';
import { createLogger, type Logger, type LogLevel } from '../../src/log/logger.ts';
import { type FakePbx, startFakePbx } from '../../src/sim/pbx/fake-pbx.ts';
import { type FakeZendesk, startFakeZendesk } from '../../src/sim/zendesk/index.ts';
import { type ProfileYamlOptions, profileYaml, tempConfigDir } from '../../test/support/profiles.ts';
import { FAKE_ZENDESK_CREDENTIALS, TEST_SECRET_ENV, TEST_SECRETS } from '../../test/support/test-secrets.ts';

/**
 * The real daemon (Daemon + CallIntegration, as `cti-bridge run` builds it) against the simulators,
 * for benchmarks. Like test/support/bridge-harness.ts, without node:test (its log capture registers
 * a test hook) and with a logger that formats every line as production does but keeps only a tail.
 */

/** Credentials the fake Zendesk accepts (the test profiles' values). */
export const BENCH_ZENDESK_CREDENTIALS = FAKE_ZENDESK_CREDENTIALS;

export const AMI_USERS = { bridge: TEST_SECRETS.amiSecret };
export { TEST_SECRET_ENV, TEST_SECRETS };

export interface BenchLogs {
  logger: Logger;
  /** Lines by level, counted. */
  readonly counts: Record<string, number>;
  /** Every warn and error line of the run by `level: ns: msg`, counted (the tail keeps only 200). */
  readonly problems: Record<string, number>;
  /** The newest lines (JSON), for a failure report. */
  tail(): string[];
  /** Resolves once a line containing `text` has been written (or at once if one was). */
  waitForLine(text: string, timeoutMs?: number): Promise<void>;
}

/**
 * A production logger (winston, JSON lines, redaction) writing into a sink: formatting costs what
 * it costs in the daemon, the lines are counted and only the last 200 kept.
 */
export function benchLogs(level: LogLevel = 'info'): BenchLogs {
  const counts: Record<string, number> = {};
  const problems: Record<string, number> = {};
  const tail: string[] = [];
  const waiting: Array<{ text: string; resolve: () => void }> = [];
  const seen = new Set<string>();
  const stream = new Writable({
    write(chunk, _encoding, done) {
      const text = String(chunk);
      for (const line of text.split('\n')) {
        if (!line) continue;
        const m = /"level":"(\w+)"/.exec(line);
        const lvl = m?.[1] ?? 'other';
        counts[lvl] = (counts[lvl] ?? 0) + 1;
        if (lvl === 'warn' || lvl === 'error') {
          // With the error's own message: "trying again" says little without what failed.
          const record = JSON.parse(line) as { ns?: string; msg?: string; err?: { message?: unknown } };
          const why = typeof record.err?.message === 'string' ? ` (${record.err.message.slice(0, 160)})` : '';
          const key = `${lvl}: ${record.ns ?? '-'}: ${record.msg ?? ''}${why}`;
          problems[key] = (problems[key] ?? 0) + 1;
        }
        tail.push(line);
        if (tail.length > 200) tail.shift();
        for (let i = waiting.length - 1; i >= 0; i--) {
          const w = waiting[i]!;
          if (line.includes(w.text)) {
            seen.add(w.text);
            waiting.splice(i, 1);
            w.resolve();
          }
        }
      }
      done();
    },
  });
  const logger = createLogger({ level, format: 'json', stream });
  return {
    logger,
    counts,
    problems,
    tail: () => [...tail],
    waitForLine(text, timeoutMs = 15_000) {
      if (seen.has(text) || tail.some((l) => l.includes(text))) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no log line "${text}" in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiting.push({
          text,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

export interface RunningDaemon {
  daemon: Daemon;
  logs: BenchLogs;
  configDir: string;
  workDir: string;
  close(): Promise<void>;
}

/**
 * Writes an active profile pointing at the given PBX and Zendesk and starts the daemon on it;
 * resolves once the start-up sync has finished. The journal lives in a temporary directory on the
 * same disk as /tmp (fsync'd, as under /var/lib in production).
 */
export async function startDaemon(options: {
  amiPort: number;
  zendeskUrl: string;
  profile?: ProfileYamlOptions;
  tuning?: IntegrationTuning;
  logLevel?: LogLevel;
}): Promise<RunningDaemon> {
  const config = tempConfigDir();
  const work = mkdtempSync(path.join(tmpdir(), 'cti-bench-work-'));
  config.write(
    'main',
    profileYaml({
      active: true,
      stateDirectory: path.join(work, 'state'),
      recordingsDir: path.join(work, 'recordings'),
      amiPort: options.amiPort,
      zendeskUrl: options.zendeskUrl,
      defaultUserEmail: 'unknown.caller@example.com',
      queues: { support: {} },
      level: options.logLevel ?? 'info',
      ...options.profile,
    }),
  );
  const logs = benchLogs(options.logLevel ?? 'info');
  const daemon = new Daemon({
    configDir: config.dir,
    env: TEST_SECRET_ENV,
    logger: logs.logger,
    createIntegration: (profile: ResolvedProfile, deps) => new CallIntegration(profile, deps, options.tuning),
    watch: false,
  });
  await daemon.start();
  await logs.waitForLine('sync finished');
  return {
    daemon,
    logs,
    configDir: config.dir,
    workDir: work,
    async close() {
      await daemon.stop();
      config.remove();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export interface Bridge extends RunningDaemon {
  pbx: FakePbx;
  zd: FakeZendesk;
}

/** Fake PBX + fake Zendesk on loopback and the daemon between them, all in this process. */
export async function startBridge(
  options: {
    profile?: ProfileYamlOptions;
    zendesk?: Parameters<typeof startFakeZendesk>[0];
    pbx?: Parameters<typeof startFakePbx>[0];
    tuning?: IntegrationTuning;
    logLevel?: LogLevel;
    /** Runs after the simulators started, before the daemon (users the sync must not see yet, say). */
    prepare?: (zd: FakeZendesk, pbx: FakePbx) => void;
  } = {},
): Promise<Bridge> {
  const pbx = await startFakePbx({ users: AMI_USERS, ...options.pbx });
  const zd = await startFakeZendesk({
    credentials: BENCH_ZENDESK_CREDENTIALS,
    rateLimitPerMinute: 1_000_000,
    ...options.zendesk,
  });
  options.prepare?.(zd, pbx);
  const running = await startDaemon({
    amiPort: pbx.port,
    zendeskUrl: zd.url,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.tuning ? { tuning: options.tuning } : {}),
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
  });
  return {
    ...running,
    pbx,
    zd,
    async close() {
      await running.close();
      await pbx.close();
      await zd.close();
    },
  };
}

/** Polls `check` every `everyMs` until it holds; throws naming `what` after `timeoutMs`. */
export async function waitUntil(
  check: () => boolean,
  what: string,
  timeoutMs = 10_000,
  everyMs = 5,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Known customers for the fake Zendesk: `+49 30 <prefix><i>`, end users, searchable at once. */
export function addCustomers(
  zd: FakeZendesk,
  count: number,
  prefix: string,
  name = 'Customer',
): Array<{ id: number; e164: string; name: string }> {
  const out: Array<{ id: number; e164: string; name: string }> = [];
  for (let i = 0; i < count; i++) {
    const e164 = customerNumber(prefix, i);
    const user = zd.addUser({ name: `${name} ${prefix}-${i}`, role: 'end-user', phone: e164 });
    out.push({ id: user.id, e164, name: user.name });
  }
  return out;
}

/** `+4930` + prefix + i, padded to 11 national digits: a valid German number. */
export function customerNumber(prefix: string, i: number): string {
  return `+4930${prefix}${String(i).padStart(8 - prefix.length, '0')}`;
}
