import type { Writable } from 'node:stream';
import { loadConfigDir } from '../config/config-dir.ts';
import {
  clientUrl,
  DEFAULT_LISTEN,
  daemonListen,
  type ListenAddress,
  listenText,
} from '../ops/listen-address.ts';
import type { StatusReport } from '../ops/status-report.ts';
import { takeFlag, takeOption } from './args.ts';
import { renderStatus } from './status-text.ts';

export interface StatusCommandIo {
  stdout: Writable;
  stderr: Writable;
  configDir: string;
  env: NodeJS.ProcessEnv;
  /** How long to wait for the daemon's answer (default 5 s). */
  timeoutMs?: number;
}

const STATUS_USAGE = `usage: cti-bridge status [--json] [--url http://127.0.0.1:9464]

Asks the running daemon's operations listener (GET /status). Without --url: $CTI_BRIDGE_LISTEN,
else the active profile's operations.address/port in the config directory, else 127.0.0.1:9464.
Exit codes: 0 the daemon answered, 1 it answered something unexpected, 2 wrong usage,
3 no daemon answers.`;

/** The daemon is not there: exit code 3, so scripts can tell it from a bad answer. */
const NO_DAEMON = 3;

export async function runStatusCommand(args: string[], io: StatusCommandIo): Promise<number> {
  const err = (text: string) => io.stderr.write(`${text}\n`);
  const rest = [...args];
  const json = takeFlag(rest, '--json');
  const url = takeOption(rest, '--url');
  if (url === null) return usage(err, '--url needs a value like http://127.0.0.1:9464');
  if (takeFlag(rest, '--help') || takeFlag(rest, '-h')) {
    io.stdout.write(`${STATUS_USAGE}\n`);
    return 0;
  }
  if (rest.length > 0) return usage(err, `unexpected argument "${rest[0]}"`);

  let base: string;
  try {
    base = url === undefined ? await daemonUrl(io) : checkedUrl(url);
  } catch (error) {
    return usage(err, (error as Error).message);
  }
  base = base.replace(/\/+$/, '');
  const target = `${base}/status`;
  let response: Response;
  try {
    response = await fetch(target, { signal: AbortSignal.timeout(io.timeoutMs ?? 5_000) });
  } catch (error) {
    err(
      `cti-bridge status: no daemon answers at ${base} (${networkReason(error)}); is it running? (systemctl status cti-bridge)`,
    );
    return NO_DAEMON;
  }
  const text = await response.text();
  let report: StatusReport;
  try {
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    report = JSON.parse(text) as StatusReport;
    if (typeof report?.daemon?.version !== 'string') throw new Error('not a cti-bridge status');
  } catch (error) {
    err(
      `cti-bridge status: ${target} answered, but not with a cti-bridge status (${(error as Error).message})`,
    );
    return 1;
  }
  io.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report));
  return 0;
}

/** Where the daemon listens, as far as this host's settings tell. */
async function daemonUrl(io: StatusCommandIo): Promise<string> {
  const fromEnv = daemonListen(undefined, io.env.CTI_BRIDGE_LISTEN);
  if (fromEnv) return urlOf(fromEnv, 'CTI_BRIDGE_LISTEN');
  // Only the operations keys are read: they are there even when a secret does not resolve here.
  const state = await loadConfigDir(io.configDir, { env: io.env }).catch(() => undefined);
  const active = state?.active.kind === 'one' ? state.active.profile.settings?.operations : undefined;
  return urlOf(active ?? DEFAULT_LISTEN, active ? `the active profile's operations keys` : 'the default');
}

function urlOf(listen: ListenAddress, origin: string): string {
  if (listen.port === 0) {
    throw new Error(
      `${origin} gives port 0 (${listenText(listen)}: a free port chosen at start); give --url`,
    );
  }
  return clientUrl(listen);
}

function checkedUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`--url "${text}" is not a URL; write it like http://127.0.0.1:9464`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`--url "${text}" must be http:// or https://`);
  }
  return url.origin + url.pathname;
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused';
  if ((error as Error).name === 'TimeoutError') return 'no answer in time';
  return cause?.code ?? (error as Error).message;
}

function usage(err: (text: string) => void, problem: string): number {
  err(`${problem}\n\n${STATUS_USAGE}`);
  return 2;
}
