import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Replaces `file` so that a reader (the daemon watching the directory) sees either the old or the
 * new content, never a half-written file, and a crash right after leaves the new one on disk:
 * temp file in the same directory, fsync, rename over the original, fsync the directory.
 * The temp file is a dotfile, which the profile loader ignores.
 *
 * `mode`: the file gets exactly this mode, whatever the umask and the replaced file's mode were
 * (a token store must stay 0600 even after someone loosened it); the temp file has it from its
 * first byte. Without it a new file gets 0666 minus the umask, a replaced one keeps its old mode.
 */
export async function writeFileAtomic(
  file: string,
  content: string,
  options: { mode?: number } = {},
): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const original = await stat(file).catch(() => undefined);
  try {
    // a new file gets the usual 0666 minus umask; a replaced one its old mode, set below
    const handle = await open(temp, 'wx', options.mode ?? (original ? 0o600 : 0o666));
    try {
      await handle.writeFile(content, 'utf8');
      if (original) await keepOwnerAndMode(handle, options.mode ?? original.mode, original.uid, original.gid);
      else if (options.mode !== undefined) await handle.chmod(options.mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}

async function keepOwnerAndMode(handle: FileHandle, mode: number, uid: number, gid: number): Promise<void> {
  await handle.chmod(mode & 0o7777);
  // Only root can give a file away; when root edits the daemon's profile it must stay the daemon's.
  if (process.getuid?.() === 0) await handle.chown(uid, gid);
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems cannot fsync a directory; the rename has happened, which is what matters most.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw error;
  } finally {
    await handle.close();
  }
}
