import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { writeSyncRequest } from '../daemon/admin-requests.ts';
import { runDaemon } from '../daemon/run-daemon.ts';
import { runDemo } from '../demo/run-demo.ts';
import { daemonListen, type ListenAddress } from '../ops/listen-address.ts';
import { packageVersion } from '../util/package-version.ts';
import { takeOption } from './args.ts';
import { runConfigCommand } from './config-command.ts';
import { runRecordingsCommand } from './recordings-command.ts';
import { runStatusCommand } from './status-command.ts';

const USAGE = `usage: cti-bridge [--config-dir DIR] [--secrets-file FILE] <command>

commands:
  run [--listen ADDR:PORT]     run the daemon (follows the one active profile in the config directory);
                               --listen (or $CTI_BRIDGE_LISTEN) fixes the health/metrics/status listener
  status [--json] [--url URL]  what the running daemon is doing (asks its listener)
  config list                  list the profiles: name, active, valid
  config validate [name]       check one or every profile and the one-active rule
  config activate <name>       make <name> the one active profile (deactivates the others)
  config deactivate <name>     deactivate <name>; the daemon goes idle
  sync                         ask the running daemon to match PBX users/queues to Zendesk again now
  recordings status [name]     recordings per state (recording … expired), the last copy run, problems
  recordings copy-now [name]   ask the running daemon to copy recordings to the share now, and wait
  demo [--keep-running]        the daemon against the built-in PBX and Zendesk simulators
  help | --version

The config directory is --config-dir, else $CTI_BRIDGE_CONFIG_DIR, else ./config.
--secrets-file (or $CTI_BRIDGE_SECRETS_FILE) reads NAME=value lines that env: secret references resolve
from, as the systemd unit's EnvironmentFile does for the service.`;

export async function main(argv: string[], processEnv: NodeJS.ProcessEnv): Promise<number | undefined> {
  const args = [...argv];
  const configDirFlag = takeOption(args, '--config-dir');
  const envFileFlag = takeOption(args, '--secrets-file');
  if (configDirFlag === null || envFileFlag === null) {
    process.stderr.write(`--config-dir and --secrets-file need a value\n\n${USAGE}\n`);
    return 2;
  }
  let env = processEnv;
  const envFile = envFileFlag ?? processEnv.CTI_BRIDGE_SECRETS_FILE;
  if (envFile) {
    try {
      // The daemon's secrets file (systemd EnvironmentFile), so admin commands resolve env: references
      // exactly as the service does.
      env = { ...processEnv, ...parseEnv(readFileSync(envFile, 'utf8')) };
    } catch (error) {
      process.stderr.write(`cannot read the secrets file ${envFile}: ${(error as Error).message}\n`);
      return 2;
    }
  }
  const configDir = path.resolve(configDirFlag ?? env.CTI_BRIDGE_CONFIG_DIR ?? 'config');
  const [command = 'help', ...rest] = args;
  switch (command) {
    case 'run': {
      let listen: ListenAddress | undefined;
      try {
        listen = daemonListen(takeOption(rest, '--listen'), env.CTI_BRIDGE_LISTEN);
      } catch (error) {
        process.stderr.write(`${(error as Error).message}\n`);
        return 2;
      }
      await runDaemon({ configDir, env, listen });
      return undefined; // the daemon keeps the process alive and exits through its signal handlers
    }
    case 'status':
      return runStatusCommand(rest, { stdout: process.stdout, stderr: process.stderr, configDir, env });
    case 'config':
      return runConfigCommand(rest, { stdout: process.stdout, stderr: process.stderr, configDir, env });
    case 'recordings':
      return runRecordingsCommand(rest, { stdout: process.stdout, stderr: process.stderr, configDir, env });
    case 'demo':
      return runDemo({ out: process.stdout, keepRunning: rest.includes('--keep-running') });
    case 'sync': {
      const file = await writeSyncRequest(configDir);
      process.stdout.write(
        `sync requested (${file}); the running daemon picks it up within seconds and logs its progress under "sync"\n`,
      );
      return 0;
    }
    case '--version':
    case 'version':
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

/** Removes `--name value` from args: the value, undefined when absent, null when the value is missing. */
