import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ResolvedProfile } from '../../src/config/config-dir.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import { CallIntegration, type IntegrationTuning } from '../../src/integration/call-integration.ts';
import { type FakePbx, startFakePbx } from '../../src/sim/pbx/fake-pbx.ts';
import { type FakeZendesk, startFakeZendesk } from '../../src/sim/zendesk/index.ts';
import { captureLogs } from './log-capture.ts';
import { type ProfileYamlOptions, profileYaml, tempConfigDir } from './profiles.ts';
import { FAKE_ZENDESK_CREDENTIALS, TEST_SECRET_ENV, TEST_SECRETS } from './test-secrets.ts';

export interface Bridge {
  pbx: FakePbx;
  zd: FakeZendesk;
  daemon: Daemon;
  /** The integration the daemon started last (the running one while a profile is active). */
  integration: CallIntegration | undefined;
  logs: ReturnType<typeof captureLogs>;
  configDir: string;
  /** Stops the daemon (as SIGTERM does) and starts a new one on the same configuration and state. */
  restart(): Promise<void>;
  /** Holds `state/` (the journal) and `recordings/` unless the profile names others; removed by close(). */
  workDir: string;
  /** Requests the fake Zendesk has seen since `mark()`. */
  mark(): () => Array<{ endpoint: string; status: number | null }>;
  userByEmail(email: string): { id: number; name: string };
  waitFor(check: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  logged(pattern: RegExp, level?: string): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export { FAKE_ZENDESK_CREDENTIALS };

/** A request as an agent or admin would make it in Zendesk (re-assigning a ticket, say). */
export async function adminPut(zd: FakeZendesk, path: string, body: unknown): Promise<void> {
  const auth = Buffer.from(`admin@example.com/token:${TEST_SECRETS.zendeskApiToken}`).toString('base64');
  const response = await fetch(`${zd.url}${path}`, {
    method: 'PUT',
    headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`PUT ${path}: ${response.status} ${await response.text()}`);
}

export async function waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The real daemon, in-process, against the fake PBX over TCP and the fake Zendesk over HTTP,
 * with an active profile pointing at them. Resolves once the start-up sync has finished.
 */
export async function startBridge(
  options: {
    profile?: ProfileYamlOptions;
    zendesk?: Parameters<typeof startFakeZendesk>[0];
    pbx?: Parameters<typeof startFakePbx>[0];
    /** Runs before the daemon starts: faults that must be in place for the start-up sync. */
    prepareZendesk?: (zd: FakeZendesk) => void;
    /** false: return before the start-up sync has finished (for syncs meant to fail). */
    waitForSync?: boolean;
    /** Watch the config directory as the service does (admin requests, activation); off by default. */
    watch?: boolean;
    /** Shorter retry waits and Zendesk timeouts for fault tests. */
    tuning?: IntegrationTuning;
  } = {},
): Promise<Bridge> {
  const pbx = await startFakePbx({ users: { bridge: TEST_SECRETS.amiSecret }, ...options.pbx });
  const zd = await startFakeZendesk({ credentials: FAKE_ZENDESK_CREDENTIALS, ...options.zendesk });
  options.prepareZendesk?.(zd);
  const config = tempConfigDir();
  // Journal and recordings of this bridge only, next to (not inside) its config directory.
  const work = mkdtempSync(path.join(tmpdir(), 'cti-bridge-work-'));
  config.write(
    'main',
    profileYaml({
      active: true,
      stateDirectory: path.join(work, 'state'),
      recordingsDir: path.join(work, 'recordings'),
      amiPort: pbx.port,
      zendeskUrl: zd.url,
      defaultUserEmail: 'unknown.caller@example.com',
      queues: { support: {}, sales: { record: false } },
      ...options.profile,
    }),
  );
  const logs = captureLogs();
  let integration: CallIntegration | undefined;
  const newDaemon = () =>
    new Daemon({
      configDir: config.dir,
      env: TEST_SECRET_ENV,
      logger: logs.logger,
      createIntegration: (profile: ResolvedProfile, deps) => {
        integration = new CallIntegration(profile, deps, options.tuning);
        return integration;
      },
      watch: options.watch ? { debounceMs: 20, pollMs: 200 } : false,
    });
  let daemon = newDaemon();
  await daemon.start();
  const logged = (pattern: RegExp, level?: string) =>
    logs.records().filter((r) => pattern.test(String(r.msg)) && (!level || r.level === level));
  if (options.waitForSync !== false)
    await waitFor(() => logged(/sync finished/).length > 0, 'the start-up sync');
  return {
    pbx,
    zd,
    get daemon() {
      return daemon;
    },
    get integration() {
      return integration;
    },
    async restart() {
      await daemon.stop();
      const syncs = logged(/sync finished/).length;
      daemon = newDaemon();
      await daemon.start();
      await waitFor(() => logged(/sync finished/).length > syncs, 'the sync after the restart');
    },
    logs,
    configDir: config.dir,
    workDir: work,
    mark() {
      const from = zd.requests.length;
      return () => zd.requests.slice(from).map((r) => ({ endpoint: r.endpoint, status: r.status }));
    },
    userByEmail(email) {
      const user = zd.state.userByEmail(email);
      if (!user) throw new Error(`no fake Zendesk user ${email}`);
      return user;
    },
    waitFor,
    logged,
    async close() {
      await daemon.stop();
      await pbx.close();
      await zd.close();
      config.remove();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
