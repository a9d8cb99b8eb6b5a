import { readFile } from 'node:fs/promises';
import { withActiveFlag } from './active-flag.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { listProfileFiles } from './config-dir.ts';
import { ConfigError } from './errors.ts';
import { loadProfile, type ProfileFile } from './load-profile.ts';

export interface ActivationDeps {
  /**
   * Environment for resolving `env:` secrets while validating the profile to activate. Without
   * it, secret references are checked for their form only: the caller may not run with the
   * daemon's environment.
   */
  env?: NodeJS.ProcessEnv;
}

export interface ActivationResult {
  profile: ProfileFile;
  /** False when the directory already was in the wanted state. */
  changed: boolean;
  /** Names of the profiles that were active before and are not any more. */
  deactivated: string[];
}

/**
 * Makes `name` the one active profile. The others are deactivated first, so a daemon watching
 * the directory never sees two active profiles; an invalid profile is refused before anything
 * is written.
 */
export async function activateProfile(
  dir: string,
  name: string,
  deps: ActivationDeps = {},
): Promise<ActivationResult> {
  const profiles = await loadProfiles(dir, deps);
  const target = findProfile(dir, profiles, name);
  if (!target.valid) {
    const count = target.errors.length === 1 ? '1 problem' : `${target.errors.length} problems`;
    throw new ConfigError([
      `${target.file}: not activated: the profile has ${count}; fix them and try again`,
      ...target.errors,
    ]);
  }
  const others = profiles.filter((profile) => profile.active && profile.name !== name);
  for (const other of others) await setActiveFlag(other.file, false);
  if (!target.active) await setActiveFlag(target.file, true);
  return {
    profile: {
      ...target,
      active: true,
      ...(target.profile ? { profile: { ...target.profile, active: true } } : {}),
    },
    changed: others.length > 0 || !target.active,
    deactivated: others.map((other) => other.name),
  };
}

/** Clears `active` of `name`; the daemon goes idle if it was running it. */
export async function deactivateProfile(dir: string, name: string): Promise<ActivationResult> {
  const target = findProfile(dir, await loadProfiles(dir, {}), name);
  if (target.active) await setActiveFlag(target.file, false);
  return {
    profile: {
      ...target,
      active: false,
      ...(target.profile ? { profile: { ...target.profile, active: false } } : {}),
    },
    changed: target.active,
    deactivated: target.active ? [name] : [],
  };
}

async function loadProfiles(dir: string, deps: ActivationDeps): Promise<ProfileFile[]> {
  const { files } = await listProfileFiles(dir);
  return Promise.all(files.map((file) => loadProfile(file, deps)));
}

function findProfile(dir: string, profiles: readonly ProfileFile[], name: string): ProfileFile {
  const found = profiles.find((profile) => profile.name === name);
  if (found) return found;
  const known =
    profiles.length > 0
      ? `known profiles: ${profiles.map((profile) => profile.name).join(', ')}`
      : 'it has none';
  throw new ConfigError([`${dir}: no profile named "${name}" (${name}.yaml); ${known}`]);
}

// Read right before writing, so an edit made since the profiles were loaded is kept.
async function setActiveFlag(file: string, value: boolean): Promise<void> {
  const text = await readFile(file, 'utf8');
  const updated = withActiveFlag(text, value, file);
  if (updated !== text) await writeFileAtomic(file, updated);
}
