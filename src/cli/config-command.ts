import type { Writable } from 'node:stream';
import { activateProfile, deactivateProfile } from '../config/activation.ts';
import {
  type ConfigDirState,
  describeActiveSelection,
  loadConfigDir,
  type ProfileFile,
} from '../config/config-dir.ts';
import { ConfigError } from '../config/errors.ts';

export interface ConfigCommandIo {
  stdout: Writable;
  stderr: Writable;
  configDir: string;
  env: NodeJS.ProcessEnv;
}

export const CONFIG_USAGE = `usage: cti-bridge config <command>

  list                 the profiles: name, whether active, whether valid
  validate [name]      every problem of one profile (or all), and the at-most-one-active rule
  activate <name>      make <name> the only active profile (the others are deactivated first)
  deactivate <name>    deactivate <name>; a running daemon goes idle`;

const ENV_NOTE =
  "note: env: secrets are read from this command's environment; give it the daemon's with --secrets-file /etc/cti-bridge/secrets.env";

/** `cti-bridge config …`: returns the exit code (0 ok, 1 a problem was found, 2 wrong usage). */
export async function runConfigCommand(args: string[], io: ConfigCommandIo): Promise<number> {
  const [command, ...rest] = args;
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const err = (text: string) => io.stderr.write(`${text}\n`);
  const usage = (problem: string) => {
    err(`${problem}\n\n${CONFIG_USAGE}`);
    return 2;
  };
  try {
    switch (command) {
      case 'list':
        return rest.length === 0 ? await list(io, out, err) : usage('config list takes no arguments');
      case 'validate':
        return rest.length <= 1
          ? await validate(io, rest[0], out, err)
          : usage('config validate takes at most one name');
      case 'activate':
      case 'deactivate':
        return rest.length === 1
          ? await toggle(command, rest[0]!, io, out, err)
          : usage(`config ${command} needs one profile name`);
      case 'help':
      case '--help':
      case '-h':
        out(CONFIG_USAGE);
        return 0;
      default:
        return usage(
          command === undefined ? 'config needs a command' : `unknown config command "${command}"`,
        );
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) err(problem);
    if (error.problems.some(isEnvProblem)) err(ENV_NOTE);
    return 1;
  }
}

type Print = (text: string) => void;

async function list(io: ConfigCommandIo, out: Print, err: Print): Promise<number> {
  const state = await loadConfigDir(io.configDir, { env: io.env });
  for (const warning of state.warnings) err(`warning: ${warning}`);
  if (state.profiles.length === 0) {
    out(noProfilesMessage(state));
    return 0;
  }
  const rows = [
    ['NAME', 'ACTIVE', 'VALID'],
    ...state.profiles.map((profile) => [
      profile.name,
      profile.active ? 'yes' : 'no',
      profile.valid ? 'yes' : `no (${plural(profile.errors.length, 'problem')})`,
    ]),
  ];
  const width = (column: number) => Math.max(...rows.map((row) => row[column]!.length));
  for (const row of rows)
    out(`${row[0]!.padEnd(width(0))}  ${row[1]!.padEnd(width(1))}  ${row[2]}`.trimEnd());
  out('');
  out(describeActiveSelection(state.active));
  if (state.profiles.some((profile) => !profile.valid)) {
    out('see the problems with `cti-bridge config validate <name>`');
  }
  return 0;
}

async function validate(
  io: ConfigCommandIo,
  name: string | undefined,
  out: Print,
  err: Print,
): Promise<number> {
  const state = await loadConfigDir(io.configDir, { env: io.env });
  for (const warning of state.warnings) err(`warning: ${warning}`);
  let selected: ProfileFile[] = state.profiles;
  if (name !== undefined) {
    const found = state.profiles.find((profile) => profile.name === name);
    if (found === undefined) throw new ConfigError([unknownProfileMessage(state, name)]);
    selected = [found];
  } else if (state.profiles.length === 0) {
    out(noProfilesMessage(state));
    return 0;
  }
  for (const profile of selected) {
    for (const warning of profile.warnings) err(`warning: ${warning}`);
    if (profile.valid) out(`${profile.file}: valid${profile.active ? ' (active)' : ''}`);
    else for (const problem of profile.errors) err(problem);
  }
  const invalid = selected.filter((profile) => !profile.valid);
  const conflict = state.active.kind === 'conflict';
  if (conflict) err(describeActiveSelection(state.active));
  if (invalid.some((profile) => profile.errors.some(isEnvProblem))) err(ENV_NOTE);
  if (invalid.length === 0 && !conflict) {
    out(selected.length === 1 ? 'no problems found' : `${selected.length} profiles, no problems found`);
    return 0;
  }
  const summary = [
    invalid.length > 0
      ? `${plural(invalid.length, 'invalid profile')} (${invalid.map((p) => p.name).join(', ')})`
      : '',
    conflict ? 'more than one active profile' : '',
  ].filter(Boolean);
  err(`${summary.join(' and ')}; fix the above and run \`cti-bridge config validate\` again`);
  return 1;
}

async function toggle(
  command: 'activate' | 'deactivate',
  name: string,
  io: ConfigCommandIo,
  out: Print,
  err: Print,
): Promise<number> {
  if (command === 'deactivate') {
    const result = await deactivateProfile(io.configDir, name);
    out(
      result.changed
        ? `profile ${name} is no longer active (${result.profile.file}); no profile is active now, so a running daemon goes idle`
        : `profile ${name} was not active; nothing changed`,
    );
    return 0;
  }
  const result = await activateProfile(io.configDir, name, { env: io.env });
  for (const warning of result.profile.warnings) err(`warning: ${warning}`);
  if (result.deactivated.length > 0) out(`deactivated: ${result.deactivated.join(', ')}`);
  out(
    result.changed
      ? `profile ${name} is now active (${result.profile.file}); a running daemon switches to it by itself`
      : `profile ${name} is already active (${result.profile.file}); nothing changed`,
  );
  return 0;
}

function noProfilesMessage(state: ConfigDirState): string {
  return `no profiles in ${state.dir}; copy config/example.yaml to ${state.dir}/<name>.yaml, edit it, and check it with \`cti-bridge config validate <name>\``;
}

function unknownProfileMessage(state: ConfigDirState, name: string): string {
  const known = state.profiles.map((profile) => profile.name);
  return `${state.dir}: no profile named "${name}" (${name}.yaml); ${known.length > 0 ? `known profiles: ${known.join(', ')}` : 'it has none'}`;
}

function isEnvProblem(problem: string): boolean {
  return /: environment variable \S+ is (not set|empty);/.test(problem);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
