import { open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * When is a MixMonitor file complete? Asterisk sends no MixMonitorStop on hangup
 * (shared/design/ami-facts.md), so: after the hangup, once format_wav has written the final
 * header (it fixes the RIFF and data sizes when it closes the file), or once the size has not
 * changed for the settle time (other formats, or a header we cannot read).
 */

const WAV_HEADER_BYTES = 44;

export type Completion =
  | { kind: 'complete'; size: number }
  /** Never appeared within the bound. */
  | { kind: 'missing' }
  /** Stopped growing with no audio in it. */
  | { kind: 'empty'; size: number }
  /** Still growing when the bound ran out. */
  | { kind: 'growing'; size: number }
  | { kind: 'aborted' };

export interface CompletionOptions {
  /** Unchanged size for this long means complete. */
  settleMs: number;
  /** Counted from the call (hangup); after this a missing or growing file is reported. */
  giveUpMs: number;
  /** How often to look; default a quarter of settleMs, at most 500 ms. */
  pollMs?: number;
  signal?: AbortSignal;
  now?: () => number;
}

/** Watches `file` until it is complete or the bound runs out. Never throws for file-system errors. */
export async function waitForCompleteFile(file: string, options: CompletionOptions): Promise<Completion> {
  const now = options.now ?? Date.now;
  const pollMs = Math.max(10, options.pollMs ?? Math.min(500, Math.floor(options.settleMs / 4)));
  const start = now();
  let lastSize = -1;
  let lastChangeAt = start;
  const maxPolls = Math.ceil(options.giveUpMs / pollMs) + 2;
  for (let poll = 0; poll < maxPolls; poll++) {
    if (options.signal?.aborted) return { kind: 'aborted' };
    const size = await sizeOf(file);
    const at = now();
    if (size !== undefined) {
      if (size !== lastSize) {
        lastSize = size;
        lastChangeAt = at;
      }
      const header = await wavHeaderState(file, size);
      if (header === 'final')
        return size > WAV_HEADER_BYTES ? { kind: 'complete', size } : { kind: 'empty', size };
      if (at - lastChangeAt >= options.settleMs) {
        return size > WAV_HEADER_BYTES ? { kind: 'complete', size } : { kind: 'empty', size };
      }
    }
    if (at - start >= options.giveUpMs) {
      return size === undefined ? { kind: 'missing' } : { kind: 'growing', size };
    }
    try {
      await sleep(pollMs, undefined, { signal: options.signal });
    } catch {
      return { kind: 'aborted' };
    }
  }
  return lastSize < 0 ? { kind: 'missing' } : { kind: 'growing', size: lastSize };
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    const s = await stat(file);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

/**
 * 'final' when the RIFF header's sizes match the file: format_wav wrote them on close. While
 * recording they are 0. 'open' for anything else (not yet final, not a WAV, unreadable).
 */
export async function wavHeaderState(file: string, size: number): Promise<'final' | 'open'> {
  if (size < WAV_HEADER_BYTES) return 'open';
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(file, 'r');
    const header = Buffer.alloc(WAV_HEADER_BYTES);
    const { bytesRead } = await handle.read(header, 0, WAV_HEADER_BYTES, 0);
    if (bytesRead < WAV_HEADER_BYTES) return 'open';
    if (header.toString('ascii', 0, 4) !== 'RIFF' || header.toString('ascii', 8, 12) !== 'WAVE')
      return 'open';
    if (header.toString('ascii', 36, 40) !== 'data') return 'open';
    const riffSize = header.readUInt32LE(4);
    const dataSize = header.readUInt32LE(40);
    return riffSize === size - 8 && dataSize === size - WAV_HEADER_BYTES ? 'final' : 'open';
  } catch {
    return 'open';
  } finally {
    await handle?.close();
  }
}
