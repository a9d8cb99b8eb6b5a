import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SecretRegistry } from '../log/redact.ts';
import { ConfigError } from './errors.ts';
import { loadProfile, type ProfileFile } from './load-profile.ts';

export type { ProfileFile } from './load-profile.ts';
export type { ResolvedProfile } from './resolved-profile.ts';

export type ActiveSelection =
  | { kind: 'none' }
  | { kind: 'one'; profile: ProfileFile }
  | { kind: 'conflict'; files: string[] };

export interface ConfigDirState {
  dir: string;
  /** Every `*.yaml` profile, sorted by name, valid or not. */
  profiles: ProfileFile[];
  active: ActiveSelection;
  /** About the directory itself (ignored files); each profile carries its own warnings. */
  warnings: string[];
}

export interface ConfigDirDeps {
  env: NodeJS.ProcessEnv;
  secrets?: SecretRegistry;
}

export const ACTIVATE_HINT = 'activate exactly one with `cti-bridge config activate <name>`';

/**
 * Loads every profile of the config directory. Problems inside profiles are reported in the
 * result; only an unreadable directory throws (ConfigError), since then nothing can be said.
 */
export async function loadConfigDir(dir: string, deps: ConfigDirDeps): Promise<ConfigDirState> {
  const { files, warnings } = await listProfileFiles(dir);
  const profiles = await Promise.all(files.map((file) => loadProfile(file, deps)));
  return { dir, profiles, active: selectActive(profiles), warnings };
}

/** Paths of the profile files in `dir`, sorted; dotfiles and temp files skipped, `.yml` warned about. */
export async function listProfileFiles(dir: string): Promise<{ files: string[]; warnings: string[] }> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new ConfigError([directoryProblem(dir, error)]);
  }
  const files: string[] = [];
  const warnings: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const file = path.join(dir, entry.name);
    if (entry.name.endsWith('.yml')) {
      warnings.push(
        `${file}: ignored: profiles must end in .yaml; rename it to ${entry.name.slice(0, -4)}.yaml`,
      );
      continue;
    }
    if (!entry.name.endsWith('.yaml') || entry.name === '.yaml') continue;
    if (entry.isFile() || (entry.isSymbolicLink() && (await isFile(file)))) files.push(file);
  }
  return { files, warnings };
}

export function selectActive(profiles: readonly ProfileFile[]): ActiveSelection {
  const active = profiles.filter((profile) => profile.active);
  if (active.length === 0) return { kind: 'none' };
  if (active.length === 1) return { kind: 'one', profile: active[0]! };
  return { kind: 'conflict', files: active.map((profile) => profile.file) };
}

/** The sentence an admin reads about which profile runs, with what to do next. */
export function describeActiveSelection(selection: ActiveSelection): string {
  switch (selection.kind) {
    case 'none':
      return 'no configuration profile is active: the daemon runs idle; activate one with `cti-bridge config activate <name>`';
    case 'conflict': {
      const count = selection.files.length === 2 ? 'two' : String(selection.files.length);
      return `${count} profiles are active: ${selection.files.join(', ')}; ${ACTIVATE_HINT}`;
    }
    case 'one': {
      const { name, file, valid, errors } = selection.profile;
      if (valid) return `profile ${name} is active (${file})`;
      const problems = errors.length === 1 ? '1 problem' : `${errors.length} problems`;
      return `profile ${name} is active (${file}) but has ${problems}; fix them and check with \`cti-bridge config validate ${name}\``;
    }
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

function directoryProblem(dir: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return `${dir}: the config directory does not exist; create it and copy config/example.yaml into it`;
  if (code === 'ENOTDIR') return `${dir}: is not a directory; give the config directory`;
  if (code === 'EACCES' || code === 'EPERM')
    return `${dir}: cannot read the config directory (permission denied)`;
  return `${dir}: cannot read the config directory (${code ?? String(error)})`;
}
