/**
 * One copy() batch over two smbclient sessions, both started at once (the second one's connect
 * and login overlap the uploads):
 *
 * 1. upload: `mkdir` each missing folder level, then per file `put <local> <remote>.partial` and
 *    `ls <remote>.partial` (the size the share really holds);
 * 2. publish: per file whose upload was clean and complete, `rename <partial> <remote> -f`
 *    (replaces an existing file; smbclient ≥ 4.x) and `ls <remote>`; per failed file, `del` its
 *    temporary name.
 *
 * Two scripts because smbclient cannot take commands one at a time (smbclient-session.ts) and the
 * rename must depend on the upload: a put that hit a full disk can still print "putting file …"
 * after `cli_push returned NT_STATUS_DISK_FULL`, with a short file on the share. A short file
 * never gets the final name.
 */
import path from 'node:path';
import { type CopyItem, type CopyOutcome, ShareError } from './share-transport.ts';
import { NOT_FOUND_CODES, parseListing, problemIn, type SmbProblem } from './smbclient-output.ts';
import type { ScriptResult, ScriptStep, SessionEnded, SmbclientSession } from './smbclient-session.ts';

/** What the batch needs from its transport. */
export interface CopyContext {
  readonly name: string;
  readonly timeoutMs: number;
  putBudgetMs(bytes: number): number;
  problemError(problem: SmbProblem, doing: string): ShareError;
  endedError(ended: SessionEnded, doing: string): ShareError;
}

/** Suffix of the temporary name a file is uploaded under before the rename. */
export const PARTIAL_SUFFIX = '.partial';

const PUT_OK = /^putting file /;
const COLLISION: ReadonlySet<string> = new Set(['OBJECT_NAME_COLLISION']);

interface FileState {
  readonly item: CopyItem;
  readonly partial: string;
  outcome?: CopyOutcome;
  /** Uploaded whole under the temporary name: may be renamed. */
  uploaded: boolean;
  /** Its temporary file may be on the share. */
  leftover: boolean;
}

type UploadStep =
  | { kind: 'mkdir'; dir: string }
  | { kind: 'put'; file: FileState }
  | { kind: 'check'; file: FileState };

type PublishStep =
  | { kind: 'rename'; file: FileState }
  | { kind: 'size'; file: FileState }
  | { kind: 'del'; file: FileState };

export async function copyBatch(
  ctx: CopyContext,
  upload: SmbclientSession,
  publish: SmbclientSession,
  items: readonly CopyItem[],
  signal: AbortSignal | undefined,
): Promise<CopyOutcome[]> {
  const files: FileState[] = items.map((item) => ({
    item,
    partial: `${item.remotePath}${PARTIAL_SUFFIX}`,
    uploaded: false,
    leftover: false,
  }));
  const uploadPlan = planUpload(files);
  const uploaded = await upload.run(uploadPlan.map((step) => uploadCommand(ctx, step)));
  readUpload(ctx, uploadPlan, uploaded);

  const publishPlan: PublishStep[] = [];
  for (const file of files) {
    if (file.uploaded) publishPlan.push({ kind: 'rename', file }, { kind: 'size', file });
  }
  for (const file of files) if (file.leftover) publishPlan.push({ kind: 'del', file });
  if (publishPlan.length === 0 || signal?.aborted) {
    await publish.close();
    const cancelled = new ShareError(
      'aborted',
      ctx.name,
      `copying to ${ctx.name} was cancelled before the rename`,
    );
    for (const file of files)
      if (file.uploaded) file.outcome = { item: file.item, ok: false, error: cancelled };
  } else {
    let published: ScriptResult;
    try {
      await publish.connected();
      published = await publish.run(publishPlan.map((step) => publishCommand(ctx, step)));
    } catch (ended) {
      published = { outputs: [], ended: ended as SessionEnded };
    }
    readPublish(ctx, publishPlan, published);
  }
  return files.map((file) => {
    if (!file.outcome) throw new Error(`no outcome for ${file.item.remotePath}`);
    return file.outcome;
  });
}

function planUpload(files: readonly FileState[]): UploadStep[] {
  const steps: UploadStep[] = [];
  const dirs = new Set<string>();
  for (const file of files) {
    const dir = path.posix.dirname(file.item.remotePath);
    let current = '';
    for (const segment of dir === '.' ? [] : dir.split('/')) {
      current = current ? `${current}/${segment}` : segment;
      if (dirs.has(current)) continue;
      dirs.add(current);
      steps.push({ kind: 'mkdir', dir: current });
    }
    steps.push({ kind: 'put', file }, { kind: 'check', file });
  }
  return steps;
}

function uploadCommand(ctx: CopyContext, step: UploadStep): ScriptStep {
  switch (step.kind) {
    case 'mkdir':
      return { command: `mkdir "${step.dir}"`, budgetMs: ctx.timeoutMs };
    case 'put':
      return {
        command: `put "${step.file.item.localFile}" "${step.file.partial}"`,
        budgetMs: ctx.putBudgetMs(step.file.item.size),
      };
    case 'check':
      return { command: `ls "${step.file.partial}"`, budgetMs: ctx.timeoutMs };
  }
}

function publishCommand(ctx: CopyContext, step: PublishStep): ScriptStep {
  const { partial, item } = step.file;
  switch (step.kind) {
    case 'rename':
      return { command: `rename "${partial}" "${item.remotePath}" -f`, budgetMs: ctx.timeoutMs };
    case 'size':
      return { command: `ls "${item.remotePath}"`, budgetMs: ctx.timeoutMs };
    case 'del':
      return { command: `del "${partial}"`, budgetMs: ctx.timeoutMs };
  }
}

/** Decides each file's upload from what smbclient printed, step by step. */
function readUpload(ctx: CopyContext, plan: readonly UploadStep[], result: ScriptResult): void {
  const refused = new Map<string, ShareError>();
  // Once the SMB connection is gone, later commands only say "disconnected": every file after
  // that point gets the error that ended it.
  let lost: ShareError | undefined;
  for (const [k, step] of plan.entries()) {
    const lines = result.outputs[k];
    if (step.kind === 'mkdir') {
      const problem = lines ? problemIn(lines, { tolerate: COLLISION, strict: true }) : undefined;
      if (!problem) continue;
      const error = ctx.problemError(problem, `creating folder ${step.dir}`);
      // Not fatal by itself: a server may refuse to create a folder that exists.
      refused.set(step.dir, error);
      if (problem.sessionLost) lost ??= error;
      continue;
    }
    const file = step.file;
    if (file.outcome) continue;
    const fail = (error: ShareError) => {
      file.outcome = { item: file.item, ok: false, error };
    };
    if (!lines) {
      // Not completed: the process ended during this step (its lines say why) or before it.
      const during = k === result.outputs.length;
      const cause = lost ?? ctx.endedError(result.ended, `copying ${file.item.remotePath}`);
      fail(during && !lost ? cause : notCopied(cause));
      file.leftover = step.kind === 'check' || during;
      continue;
    }
    if (step.kind === 'put') {
      const problem = problemIn(lines, { ignore: PUT_OK, strict: true });
      if (!problem) continue;
      file.leftover = true;
      if (lost) {
        fail(notCopied(lost));
        continue;
      }
      const error =
        problem.kind === 'other'
          ? (refusedFolder(refused, file.item.remotePath) ??
            ctx.problemError(problem, `writing ${file.partial}`))
          : ctx.problemError(problem, `writing ${file.partial}`);
      fail(error);
      if (problem.sessionLost) lost = error;
      continue;
    }
    // check: the size under the temporary name.
    file.leftover = true;
    const size = sizeIn(lines, file.partial);
    if (size === file.item.size) {
      file.uploaded = true;
      file.leftover = false;
      continue;
    }
    const problem = problemIn(lines);
    if (lost) fail(notCopied(lost));
    else if (problem) {
      const error = ctx.problemError(problem, `reading the size of ${file.partial}`);
      fail(error);
      if (problem.sessionLost) lost = error;
    } else {
      fail(
        new ShareError(
          'other',
          ctx.name,
          `${file.partial} on ${ctx.name} has ${size ?? 'no'} bytes after the upload, the recording ${file.item.size}: not renamed`,
        ),
      );
    }
  }
}

function readPublish(ctx: CopyContext, plan: readonly PublishStep[], result: ScriptResult): void {
  for (const [k, step] of plan.entries()) {
    if (step.kind === 'del') continue; // best effort: a leftover temporary file is harmless
    const file = step.file;
    if (file.outcome) continue;
    const lines = result.outputs[k];
    const fail = (error: ShareError) => {
      file.outcome = { item: file.item, ok: false, error };
    };
    if (!lines) {
      fail(ctx.endedError(result.ended, `renaming ${file.partial} to ${file.item.remotePath}`));
      continue;
    }
    if (step.kind === 'rename') {
      const problem = problemIn(lines, { strict: true });
      if (problem) fail(ctx.problemError(problem, `renaming ${file.partial} to ${file.item.remotePath}`));
      continue;
    }
    const size = sizeIn(lines, file.item.remotePath);
    if (size !== undefined) {
      file.outcome = { item: file.item, ok: true, remoteSize: size };
      continue;
    }
    const problem = problemIn(lines);
    fail(
      problem && !(problem.code && NOT_FOUND_CODES.has(problem.code))
        ? ctx.problemError(problem, `reading the size of ${file.item.remotePath}`)
        : new ShareError('other', ctx.name, `${file.item.remotePath} is not on ${ctx.name} after the rename`),
    );
  }
}

/** The size `ls <file>` printed for that file (names compare case-insensitively, as on SMB). */
function sizeIn(lines: readonly string[], remote: string): number | undefined {
  const name = path.posix.basename(remote).toLowerCase();
  return parseListing(lines).find((e) => !e.directory && e.name.toLowerCase() === name)?.size;
}

/** A folder refusal explains a failing put better than the put's own "path not found". */
function refusedFolder(refused: ReadonlyMap<string, ShareError>, remote: string): ShareError | undefined {
  for (let dir = path.posix.dirname(remote); dir !== '.' && dir !== ''; dir = path.posix.dirname(dir)) {
    const error = refused.get(dir);
    if (error) return error;
  }
  return undefined;
}

function notCopied(cause: ShareError): ShareError {
  return new ShareError(cause.kind, cause.share, `not copied, the batch stopped earlier: ${cause.message}`);
}
