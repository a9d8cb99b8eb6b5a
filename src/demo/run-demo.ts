import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeAdminRequest } from '../daemon/admin-requests.ts';
import { Daemon } from '../daemon/daemon.ts';
import { CallIntegration } from '../integration/call-integration.ts';
import { createLogger } from '../log/logger.ts';
import { clientUrl } from '../ops/listen-address.ts';
import { OpsServer } from '../ops/ops-server.ts';
import { startFakePbx } from '../sim/pbx/fake-pbx.ts';
import { startFakeZendesk } from '../sim/zendesk/index.ts';
import { DEMO_SECRETS, demoProfileYaml } from './demo-profile.ts';
import { playMorning } from './morning.ts';
import { summarise } from './summary.ts';
import { timelineStream } from './timeline.ts';

/** What `cti-bridge recordings copy-now` does against a running daemon, and wait for the copy. */
async function copyNow(daemon: Daemon, configDir: string): Promise<void> {
  await writeAdminRequest(configDir, 'copy');
  await daemon.reload();
  await daemon.idleCopies();
}

/** Paths of the files below `dir`, relative to it (what a supervisor sees on the share). */
function filesBelow(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
      .sort();
  } catch {
    return [];
  }
}

/** What an operations team would look at after the morning: readiness and the call counters. */
async function operationsLines(url: string): Promise<string> {
  const ready = await fetch(`${url}/readyz`);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const calls = metrics
    .split('\n')
    .filter((line) => line.startsWith('cti_bridge_calls_total{'))
    .map((line) => `    ${line}`);
  return [`  operations           GET /readyz ${ready.status}; from GET /metrics:`, ...calls].join('\n');
}

export interface DemoOptions {
  out: NodeJS.WritableStream;
  keepRunning: boolean;
}

/** The Zendesk session of the agent in the story (not the bridge's; never a real secret). */
const AGENT_ACCESS_TOKEN = 'demo-agent-access-token';

/**
 * `cti-bridge demo`: the real daemon against the built-in PBX and Zendesk simulators on
 * loopback, with an embedded profile, through a scripted morning. Nothing to set up.
 */

export async function runDemo(options: DemoOptions): Promise<number> {
  const { out } = options;
  const started = Date.now();
  const pbx = await startFakePbx({ users: { bridge: DEMO_SECRETS.CTI_DEMO_AMI_SECRET } });
  const zd = await startFakeZendesk({
    credentials: {
      oauth: {
        clientId: 'cti-bridge',
        clientSecret: DEMO_SECRETS.CTI_DEMO_CLIENT_SECRET,
        // The second is Anna's own (she edits a ticket): the bridge's first refresh deletes its pair.
        accessTokens: [DEMO_SECRETS.CTI_DEMO_ACCESS_TOKEN, AGENT_ACCESS_TOKEN],
        refreshTokens: [DEMO_SECRETS.CTI_DEMO_REFRESH_TOKEN],
      },
      oauthUserEmail: 'admin@example.com',
    },
  });
  const workDir = mkdtempSync(path.join(tmpdir(), 'cti-bridge-demo-'));
  const configDir = path.join(workDir, 'config');
  const recordingsDir = path.join(workDir, 'recordings');
  mkdirSync(configDir, { recursive: true });
  // The "mounted share": it must exist, as a real mount point would.
  mkdirSync(path.join(workDir, 'share'));
  writeFileSync(
    path.join(configDir, 'demo.yaml'),
    demoProfileYaml({
      amiPort: pbx.port,
      zendeskUrl: zd.url,
      recordingsDir,
      stateDir: path.join(workDir, 'state'),
      shareDir: path.join(workDir, 'share'),
    }),
  );

  out.write(`cti-bridge demo: fake PBX on 127.0.0.1:${pbx.port} (AMI), fake Zendesk on ${zd.url}\n`);
  out.write(`profile: ${path.join(configDir, 'demo.yaml')}\n\n`);
  const names = { userName: (id: number) => zd.state.user(id)?.name };
  const logger = createLogger({ format: 'json', level: 'info', stream: timelineStream(out, names, started) });
  // A port of its own (0: any free one), so the demo never clashes with a daemon on 9464.
  const ops = new OpsServer({ logger, listen: { address: '127.0.0.1', port: 0 } });
  const daemon = new Daemon({
    configDir,
    env: { ...process.env, ...DEMO_SECRETS },
    logger,
    createIntegration: (profile, deps) => new CallIntegration(profile, deps),
    watch: false,
    ops,
  });
  let code = 0;
  try {
    await daemon.start();
    if (ops.address) {
      const url = clientUrl(ops.address);
      out.write(
        `operations listener on ${url} (/healthz /readyz /metrics /status): cti-bridge status --url ${url}\n`,
      );
    }
    await playMorning(pbx, zd, (line) => out.write(`\n${line}\n`), AGENT_ACCESS_TOKEN);
    out.write('\n— the supervisor wants the recordings now: cti-bridge recordings copy-now\n');
    await copyNow(daemon, configDir);
    out.write(`\n${summarise(zd, filesBelow(path.join(workDir, 'share')))}\n`);
    if (ops.address) out.write(`${await operationsLines(clientUrl(ops.address))}\n`);
    if (options.keepRunning) {
      out.write('\nstill running (the simulators and the daemon); Ctrl-C stops\n');
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
  } catch (error) {
    out.write(`demo failed: ${(error as Error).message}\n`);
    code = 1;
  } finally {
    await daemon.stop();
    await logger.flush();
    await pbx.close();
    await zd.close();
    rmSync(workDir, { recursive: true, force: true });
  }
  return code;
}
