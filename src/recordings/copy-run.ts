import { rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log/logger.ts';
import type { CopyItem, ShareTransport } from '../share/share-transport.ts';
import { ShareError } from '../share/share-transport.ts';
import type { RecordingEntry, RecordingJournal, RunOrigin, RunOutcome } from './recording-journal.ts';
import { insideDirectory, sharePath } from './recording-path.ts';

const DAY_MS = 86_400_000;

export interface CopyRunOptions {
  journal: RecordingJournal;
  transport: ShareTransport;
  /** Local recordings directory. */
  directory: string;
  /** Below the share root; recordings go to `<subdirectory>/RecordedCalls/`. */
  subdirectory: string;
  retentionDays: number;
  origin: RunOrigin;
  logger: Logger;
  signal?: AbortSignal;
  now?: () => number;
}

export interface CopyRunResult {
  outcome: Exclude<RunOutcome, 'running' | 'interrupted'>;
  copied: number;
  skipped: number;
  failed: number;
  expired: number;
  message: string | undefined;
}

/**
 * One copy run: every complete recording not yet copied goes to the share (skipped when a file of
 * the same size is already there), counted as copied only when the remote size equals the local
 * size; then copied recordings past their retention are deleted locally, each after its remote
 * copy was checked once more. A share that cannot be used ends the run with everything kept.
 */
export async function runCopy(options: CopyRunOptions): Promise<CopyRunResult> {
  const now = options.now ?? Date.now;
  const log = options.logger.child('share').with({ share: options.transport.name, origin: options.origin });
  const runId = options.journal.runStarted(options.origin, now());
  const result: CopyRunResult = {
    outcome: 'ok',
    copied: 0,
    skipped: 0,
    failed: 0,
    expired: 0,
    message: undefined,
  };
  try {
    await copyPending(options, result, log, now);
    await expireOld(options, result, log, now);
    if (result.failed > 0) {
      result.outcome = 'partial';
      result.message ??= `${result.failed} recording(s) not copied; the next run tries again`;
    }
  } catch (error) {
    result.outcome = 'failed';
    result.message = (error as Error).message;
    if (error instanceof ShareError) {
      log.warn('copy run failed: the share cannot be used; everything is kept for the next run', {
        reason: error.kind,
        err: error.message,
      });
    } else {
      log.error('copy run failed; everything is kept for the next run', { err: error });
    }
  }
  options.journal.runFinished(runId, { ...result, finishedAt: now() });
  const level = result.outcome === 'ok' ? 'info' : 'warn';
  log[level]('copy run finished', {
    outcome: result.outcome,
    copied: result.copied,
    skipped: result.skipped,
    failed: result.failed,
    expired: result.expired,
  });
  return result;
}

async function copyPending(options: CopyRunOptions, result: CopyRunResult, log: Logger, now: () => number) {
  const byDir = groupByRemoteDir(options.journal.awaitingCopy(), options.subdirectory);
  for (const [dir, entries] of byDir) {
    if (options.signal?.aborted)
      throw new ShareError('aborted', options.transport.name, 'the run was cancelled');
    const present = await options.transport.list(dir, options.signal);
    const items: Array<{ entry: RecordingEntry; item: CopyItem }> = [];
    for (const entry of entries) {
      const remote = sharePath(options.subdirectory, entry.file);
      const name = path.posix.basename(remote);
      const local = await localFile(options.directory, entry, log);
      if (!local) {
        result.failed++;
        continue;
      }
      if (present.get(name) === entry.size) {
        options.journal.copied(entry.callId, remote, now());
        result.skipped++;
        continue;
      }
      items.push({ entry, item: { localFile: local, remotePath: remote, size: entry.size ?? 0 } });
    }
    if (items.length === 0) continue;
    const outcomes = await options.transport.copy(
      items.map((i) => i.item),
      options.signal,
    );
    for (const [index, outcome] of outcomes.entries()) {
      const { entry } = items[index]!;
      if (outcome.ok && outcome.remoteSize === outcome.item.size) {
        options.journal.copied(entry.callId, outcome.item.remotePath, now());
        result.copied++;
      } else {
        result.failed++;
        const reason = outcome.ok
          ? `the copy has ${outcome.remoteSize} bytes, the recording ${outcome.item.size}`
          : outcome.error.message;
        result.message ??= reason;
        log.warn('recording not copied; the next run tries again', { callId: entry.callId, reason });
        if (!outcome.ok && outcome.error.kind === 'aborted') throw outcome.error;
      }
    }
  }
}

async function expireOld(options: CopyRunOptions, result: CopyRunResult, log: Logger, now: () => number) {
  const cutoff = now() - options.retentionDays * DAY_MS;
  const held = options.journal.heldForAttach(cutoff);
  if (held > 0) log.info('recordings past retention kept until they are attached to their tickets', { held });
  const byDir = groupByRemoteDir(options.journal.expirable(cutoff), options.subdirectory);
  for (const [dir, entries] of byDir) {
    if (options.signal?.aborted) return;
    // Checked again right before deleting: only a copy that is still there, whole, allows it.
    const present = await options.transport.list(dir, options.signal);
    for (const entry of entries) {
      const remote = entry.remotePath ?? sharePath(options.subdirectory, entry.file);
      if (present.get(path.posix.basename(remote)) !== entry.size) {
        options.journal.uncopied(entry.callId);
        log.warn('the copy on the share is gone or differs: recording kept and copied again', {
          callId: entry.callId,
          remote,
        });
        continue;
      }
      const local = insideDirectory(options.directory, entry.file);
      try {
        await unlink(local);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          log.warn('expired recording could not be deleted', { callId: entry.callId, err: error });
          continue;
        }
      }
      options.journal.expired(entry.callId, now());
      result.expired++;
      await rmdir(path.dirname(local)).catch(() => {}); // the day's folder, once empty
    }
  }
}

/** The local file, when it is still there with the size the journal recorded. */
async function localFile(directory: string, entry: RecordingEntry, log: Logger): Promise<string | undefined> {
  const local = insideDirectory(directory, entry.file);
  try {
    const s = await stat(local);
    if (s.size === entry.size) return local;
    log.error('recording changed size since it was complete; not copied', {
      callId: entry.callId,
      journalBytes: entry.size,
      fileBytes: s.size,
    });
  } catch (error) {
    log.error('recording file is missing; not copied', { callId: entry.callId, err: error });
  }
  return undefined;
}

function groupByRemoteDir(entries: RecordingEntry[], subdirectory: string): Map<string, RecordingEntry[]> {
  const byDir = new Map<string, RecordingEntry[]>();
  for (const entry of entries) {
    const dir = path.posix.dirname(sharePath(subdirectory, entry.file));
    const list = byDir.get(dir) ?? [];
    list.push(entry);
    byDir.set(dir, list);
  }
  return byDir;
}
