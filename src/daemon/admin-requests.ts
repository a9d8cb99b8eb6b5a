import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * `cti-bridge sync` leaves this file in the config directory; the daemon's directory watch sees
 * it, runs the sync and removes it. No PID file or signal rights needed: whoever may edit the
 * profiles may ask for a sync. (A dotfile, so the profile loader ignores it.)
 */
const FILE = '.sync-request';

export async function writeSyncRequest(configDir: string): Promise<string> {
  const file = path.join(configDir, FILE);
  await writeFile(file, `${new Date().toISOString()}\n`);
  return file;
}

/** True (and the request removed) when a sync was asked for. */
export async function takeSyncRequest(configDir: string): Promise<boolean> {
  try {
    await rm(path.join(configDir, FILE));
    return true;
  } catch {
    return false;
  }
}
