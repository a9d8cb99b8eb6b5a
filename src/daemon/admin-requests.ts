import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * `cti-bridge sync` and `cti-bridge recordings copy-now` leave a file in the config directory; the
 * daemon's directory watch sees it, does the work and removes it. No PID file or signal rights
 * needed: whoever may edit the profiles may ask. (Dotfiles, so the profile loader ignores them.)
 */
export type AdminRequest = 'sync' | 'copy';

const FILES: Record<AdminRequest, string> = { sync: '.sync-request', copy: '.copy-request' };

export async function writeAdminRequest(configDir: string, request: AdminRequest): Promise<string> {
  const file = path.join(configDir, FILES[request]);
  await writeFile(file, `${new Date().toISOString()}\n`);
  return file;
}

/** True (and the request removed) when it was asked for. */
export async function takeAdminRequest(configDir: string, request: AdminRequest): Promise<boolean> {
  try {
    await rm(path.join(configDir, FILES[request]));
    return true;
  } catch {
    return false;
  }
}

export const writeSyncRequest = (configDir: string) => writeAdminRequest(configDir, 'sync');
