/**
 * The share where the OS mounted it (CIFS, NFS, a local disk): an ordinary directory. Each file is
 * streamed to a temporary name in its target folder, flushed to disk, checked for its size and
 * renamed over the final name, so a reader never sees a short file under that name.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../log/logger.ts';
import {
  type CopyItem,
  type CopyOutcome,
  ShareError,
  type ShareErrorKind,
  type ShareTransport,
} from './share-transport.ts';

export interface LocalDirTransportOptions {
  /** Absolute directory: the share's root as mounted. */
  root: string;
  logger: Logger;
}

/** Suffix of the temporary name, as with the SMB transport. */
const PARTIAL_SUFFIX = '.partial';

/** errno codes a mounted network share gives when the server is gone. */
const GONE = new Set([
  'EIO',
  'ENOTCONN',
  'ESTALE',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENXIO',
]);

export class LocalDirTransport implements ShareTransport {
  readonly name: string;
  readonly #root: string;
  readonly #log: Logger;

  constructor(options: LocalDirTransportOptions) {
    if (!path.isAbsolute(options.root)) throw new Error(`share directory must be absolute: ${options.root}`);
    this.#root = path.resolve(options.root);
    this.name = this.#root;
    this.#log = options.logger.child('share').with({ share: this.name });
  }

  async list(dir: string, signal?: AbortSignal): Promise<Map<string, number>> {
    this.#throwIfAborted(signal);
    await this.#checkRoot();
    const sizes = new Map<string, number>();
    const at = this.#inside(dir, true);
    let names: string[];
    try {
      names = await readdir(at);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return sizes;
      throw this.#error(error, `listing ${dir || '/'}`);
    }
    for (const name of names) {
      try {
        const s = await stat(path.join(at, name));
        if (s.isFile()) sizes.set(name, s.size);
      } catch {
        // Gone between readdir and stat: not there.
      }
    }
    return sizes;
  }

  async copy(items: readonly CopyItem[], signal?: AbortSignal): Promise<CopyOutcome[]> {
    if (items.length === 0) return [];
    this.#throwIfAborted(signal);
    await this.#checkRoot();
    const outcomes: CopyOutcome[] = [];
    for (const item of items) {
      if (signal?.aborted) {
        outcomes.push({ item, ok: false, error: new ShareError('aborted', this.name, 'copy cancelled') });
        continue;
      }
      outcomes.push(await this.#copyOne(item, signal));
    }
    return outcomes;
  }

  async close(): Promise<void> {}

  async #copyOne(item: CopyItem, signal: AbortSignal | undefined): Promise<CopyOutcome> {
    let target: string;
    try {
      target = this.#inside(item.remotePath, false);
    } catch (error) {
      return { item, ok: false, error: error as ShareError };
    }
    const partial = `${target}${PARTIAL_SUFFIX}`;
    const started = performance.now();
    try {
      await mkdir(path.dirname(target), { recursive: true });
      // flush: fsync before close, so a crash after the rename cannot leave an empty file.
      await pipeline(createReadStream(item.localFile), createWriteStream(partial, { flush: true }), {
        signal,
      });
      const sent = (await stat(partial)).size;
      if (sent !== item.size) {
        throw new ShareError(
          'other',
          this.name,
          `${item.remotePath}: ${sent} bytes written, the recording has ${item.size}; not renamed`,
        );
      }
      await rename(partial, target);
      await syncDir(path.dirname(target));
      const remoteSize = (await stat(target)).size;
      this.#log.debug('copied', {
        remote: item.remotePath,
        bytes: remoteSize,
        ms: Math.round(performance.now() - started),
      });
      return { item, ok: true, remoteSize };
    } catch (error) {
      await unlink(partial).catch(() => {});
      const shareError =
        error instanceof ShareError
          ? error
          : signal?.aborted
            ? new ShareError('aborted', this.name, `copying ${item.remotePath} was cancelled`)
            : this.#error(error, `copying ${item.localFile} to ${item.remotePath}`);
      return { item, ok: false, error: shareError };
    }
  }

  /** The root must exist: an absent one is a share that is not mounted, never created here. */
  async #checkRoot(): Promise<void> {
    try {
      const s = await stat(this.#root);
      if (!s.isDirectory()) throw new ShareError('unreachable', this.name, `${this.name} is not a directory`);
    } catch (error) {
      if (error instanceof ShareError) throw error;
      if (errnoOf(error) === 'ENOENT') {
        throw new ShareError('unreachable', this.name, `${this.name} does not exist: share not mounted?`, {
          cause: error,
        });
      }
      throw this.#error(error, 'opening the share directory');
    }
  }

  /** A share-relative path as an absolute one below the root; ShareError('other') when it is not. */
  #inside(relative: string, allowRoot: boolean): string {
    const segments = relative.split('/');
    const plain =
      (relative === '' && allowRoot) ||
      (relative !== '' &&
        segments.every((s) => s !== '' && s !== '.' && s !== '..') &&
        !/[\\\0]/.test(relative));
    if (!plain)
      throw new ShareError('other', this.name, `"${relative}" is not a plain relative path on ${this.name}`);
    return path.join(this.#root, ...segments);
  }

  #throwIfAborted(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw new ShareError('aborted', this.name, `work on ${this.name} was cancelled`);
  }

  #error(error: unknown, doing: string): ShareError {
    const code = errnoOf(error);
    const detail = error instanceof Error ? error.message : String(error);
    let kind: ShareErrorKind = 'other';
    let words = detail;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      kind = 'full';
      words = 'no space left on the share';
    } else if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      kind = 'denied';
      words = 'permission denied (who may write the mounted share?)';
    } else if (code !== undefined && GONE.has(code)) {
      kind = 'unreachable';
      words = 'the mounted share does not answer';
    }
    return new ShareError(kind, this.name, `${words} on ${this.name} while ${doing} (${detail})`, {
      cause: error,
    });
  }
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Makes the rename durable; some file systems (CIFS) refuse to sync a directory, which is fine. */
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort only.
  }
}
