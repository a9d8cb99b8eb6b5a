import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runDaemon } from '../daemon/run-daemon.ts';
import { runConfigCommand } from './config-command.ts';

const USAGE = `usage: cti-bridge [--config-dir DIR] <command>

commands:
  run                          run the daemon (follows the one active profile in the config directory)
  config list                  list the profiles: name, active, valid
  config validate [name]       check one or every profile and the one-active rule
  config activate <name>       make <name> the one active profile (deactivates the others)
  config deactivate <name>     deactivate <name>; the daemon goes idle
  help | --version

The config directory is --config-dir, else $CTI_BRIDGE_CONFIG_DIR, else ./config.`;

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number | undefined> {
  const args = [...argv];
  let configDir = env.CTI_BRIDGE_CONFIG_DIR ?? 'config';
  const dirFlag = args.indexOf('--config-dir');
  if (dirFlag !== -1) {
    const value = args[dirFlag + 1];
    if (!value) {
      process.stderr.write('--config-dir needs a directory\n');
      return 2;
    }
    configDir = value;
    args.splice(dirFlag, 2);
  }
  configDir = path.resolve(configDir);
  const [command = 'help', ...rest] = args;
  switch (command) {
    case 'run':
      await runDaemon({ configDir, env });
      return undefined; // the daemon keeps the process alive and exits through its signal handlers
    case 'config':
      return runConfigCommand(rest, { stdout: process.stdout, stderr: process.stderr, configDir, env });
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

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
