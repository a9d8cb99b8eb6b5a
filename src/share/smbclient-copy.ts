/**
 * One copy() batch over two smbclient sessions, started together:
 *
 * - upload: every command at once, then EOF: `mkdir` each folder level ("already exists" is
 *   fine), and per file `put <local> <remote>.partial`. Nothing else, so it runs about as fast as
 *   a plain `smbclient put` of the same files;
 * - publish: as each put comes back clean, `ls <remote>.partial` (the size the share really
 *   holds), and only when that is the recording's size `rename <partial> <remote> -f` (replaces an
 *   existing file) and `ls <remote>` (the size read back). A failed file's temporary name is
 *   removed (`del`). This runs while the next file uploads, on a connection of its own, so it
 *   costs almost no time, and it still works when the upload's connection broke (a full disk
 *   drops it), so a partial file does not keep the space.
 *
 * The rename waits for the size check because a put that hit a full disk can still print
 * "putting file …" after `cli_push returned NT_STATUS_DISK_FULL`, leaving a short file: a short
 * file never gets the final name.
 */
import path from 'node:path';
import { type CopyItem, type CopyOutcome, ShareError } from './share-transport.ts';
import { NOT_FOUND_CODES, parseListing, problemIn, type SmbProblem } from './smbclient-output.ts';
import { SessionEnded, type SmbclientSession } from './smbclient-session.ts';

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
/** Pauses after a failed delete of a temporary file; one more try after each but the last. */
const DEL_RETRY_PAUSES_MS = [100, 300, 0];

interface FileState {
  readonly item: CopyItem;
  readonly partial: string;
  outcome?: CopyOutcome;
}

export async function copyBatch(
  ctx: CopyContext,
  upload: SmbclientSession,
  publish: SmbclientSession,
  items: readonly CopyItem[],
): Promise<CopyOutcome[]> {
  return new CopyBatch(ctx, upload, publish).run(items);
}

class CopyBatch {
  readonly #ctx: CopyContext;
  readonly #upload: SmbclientSession;
  readonly #publish: SmbclientSession;
  /** Folders the server refused to create: explains a put that then fails. */
  readonly #refused = new Map<string, ShareError>();
  /** Publish-side work in flight (never rejects). */
  readonly #work: Promise<unknown>[] = [];
  /** What broke the upload connection: every file after it gets this. */
  #lost: ShareError | undefined;
  /** The upload process ended before all answers were in. */
  #cutOff = false;

  constructor(ctx: CopyContext, upload: SmbclientSession, publish: SmbclientSession) {
    this.#ctx = ctx;
    this.#upload = upload;
    this.#publish = publish;
  }

  async run(items: readonly CopyItem[]): Promise<CopyOutcome[]> {
    const files: FileState[] = items.map((item) => ({
      item,
      partial: `${item.remotePath}${PARTIAL_SUFFIX}`,
    }));
    const uploads: Promise<void>[] = [];
    const made = new Set<string>();
    for (const file of files) {
      for (const dir of folderLevels(file.item.remotePath)) {
        if (made.has(dir)) continue;
        made.add(dir);
        uploads.push(this.#mkdir(dir));
      }
      uploads.push(this.#put(file));
    }
    void this.#upload.end();
    await Promise.all(uploads);
    // Publishing may add work (a del after a failed check) while it runs.
    while (this.#work.length > 0) await Promise.all(this.#work.splice(0));
    await this.#publish.end();
    return files.map((file) => {
      if (!file.outcome) throw new Error(`smbclient copy: no outcome for ${file.item.remotePath}`);
      return file.outcome;
    });
  }

  #mkdir(dir: string): Promise<void> {
    return this.#upload.command(`mkdir "${dir}"`, this.#ctx.timeoutMs).then(
      (lines) => {
        const problem = problemIn(lines, { tolerate: COLLISION, strict: true });
        if (!problem) return;
        // Not fatal by itself: a server may refuse to create a folder that exists.
        const error = this.#ctx.problemError(problem, `creating folder ${dir}`);
        this.#refused.set(dir, error);
        if (problem.sessionLost) this.#lost ??= error;
      },
      (ended: unknown) => {
        this.#firstCutOff(ended);
      },
    );
  }

  #put(file: FileState): Promise<void> {
    const command = `put "${file.item.localFile}" "${file.partial}"`;
    return this.#upload.command(command, this.#ctx.putBudgetMs(file.item.size)).then(
      (lines) => {
        const problem = problemIn(lines, { ignore: PUT_OK, strict: true });
        if (!problem) {
          this.#work.push(this.#publishOne(file));
          return;
        }
        if (this.#lost) {
          this.#fail(file, notCopied(this.#lost));
          return;
        }
        const own = this.#ctx.problemError(problem, `writing ${file.partial}`);
        const error = problem.kind === 'other' ? (this.#refusedFolder(file.item.remotePath) ?? own) : own;
        this.#fail(file, error);
        if (problem.sessionLost) this.#lost = error;
        this.#removePartial(file);
      },
      (ended: unknown) => {
        const during = this.#firstCutOff(ended);
        const cause =
          this.#lost ?? this.#ctx.endedError(ended as SessionEnded, `copying ${file.item.remotePath}`);
        this.#fail(file, during && !this.#lost ? cause : notCopied(cause));
        if (during) this.#removePartial(file);
      },
    );
  }

  /** Size check, rename, size read back: on the publish connection. */
  async #publishOne(file: FileState): Promise<void> {
    const { item, partial } = file;
    const t = this.#ctx.timeoutMs;
    try {
      const sent = await this.#publish.command(`ls "${partial}"`, t);
      const size = sizeIn(sent, partial);
      if (size !== item.size) {
        const problem = problemIn(sent);
        this.#fail(
          file,
          problem && !(problem.code && NOT_FOUND_CODES.has(problem.code))
            ? this.#ctx.problemError(problem, `reading the size of ${partial}`)
            : new ShareError(
                'other',
                this.#ctx.name,
                `${partial} on ${this.#ctx.name} has ${size ?? 'no'} bytes after the upload, the recording ${item.size}: not renamed`,
              ),
        );
        this.#removePartial(file);
        return;
      }
      // Sent together: the listing's answer only counts when the rename worked.
      const renaming = this.#publish.command(`rename "${partial}" "${item.remotePath}" -f`, t);
      const listing = this.#publish.command(`ls "${item.remotePath}"`, t);
      listing.catch(() => {}); // when the rename fails, nobody waits for it
      const problem = problemIn(await renaming, { strict: true });
      if (problem) {
        this.#fail(file, this.#ctx.problemError(problem, `renaming ${partial} to ${item.remotePath}`));
        this.#removePartial(file);
        return;
      }
      const listed = await listing;
      const remoteSize = sizeIn(listed, item.remotePath);
      if (remoteSize !== undefined) {
        file.outcome = { item, ok: true, remoteSize };
        return;
      }
      const listProblem = problemIn(listed);
      this.#fail(
        file,
        listProblem && !(listProblem.code && NOT_FOUND_CODES.has(listProblem.code))
          ? this.#ctx.problemError(listProblem, `reading the size of ${item.remotePath}`)
          : new ShareError(
              'other',
              this.#ctx.name,
              `${item.remotePath} is not on ${this.#ctx.name} after the rename`,
            ),
      );
    } catch (error) {
      if (!(error instanceof SessionEnded)) throw error;
      this.#fail(file, this.#ctx.endedError(error, `renaming ${partial} to ${item.remotePath}`));
    }
  }

  /**
   * Best effort: a temporary file left behind is harmless, but it may hold a full share's space.
   * Right after a broken upload the server may still hold the file open for the dead connection
   * (the delete then fails with a sharing violation): a few tries, a moment apart.
   */
  #removePartial(file: FileState): void {
    const attempt = async (): Promise<void> => {
      for (const pauseMs of DEL_RETRY_PAUSES_MS) {
        const lines = await this.#publish.command(`del "${file.partial}"`, this.#ctx.timeoutMs);
        const problem = problemIn(lines);
        if (!problem || (problem.code !== undefined && NOT_FOUND_CODES.has(problem.code))) return;
        if (problem.sessionLost) return;
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    };
    this.#work.push(attempt().catch(() => {}));
  }

  #fail(file: FileState, error: ShareError): void {
    file.outcome = { item: file.item, ok: false, error };
  }

  /** True for the first command cut off by the upload process ending: the one it was running. */
  #firstCutOff(ended: unknown): boolean {
    if (!(ended instanceof SessionEnded)) throw ended;
    const first = !this.#cutOff;
    this.#cutOff = true;
    return first;
  }

  /** A folder refusal explains a failing put better than the put's own "path not found". */
  #refusedFolder(remote: string): ShareError | undefined {
    for (const dir of folderLevels(remote).reverse()) {
      const error = this.#refused.get(dir);
      if (error) return error;
    }
    return undefined;
  }
}

/** `a/b/c.wav` → `a`, `a/b`. */
function folderLevels(remote: string): string[] {
  const dir = path.posix.dirname(remote);
  if (dir === '.' || dir === '') return [];
  const segments = dir.split('/');
  return segments.map((_, i) => segments.slice(0, i + 1).join('/'));
}

/** The size `ls <file>` printed for that file (names compare case-insensitively, as on SMB). */
function sizeIn(lines: readonly string[], remote: string): number | undefined {
  const name = path.posix.basename(remote).toLowerCase();
  return parseListing(lines).find((e) => !e.directory && e.name.toLowerCase() === name)?.size;
}

function notCopied(cause: ShareError): ShareError {
  return new ShareError(cause.kind, cause.share, `not copied, the batch stopped earlier: ${cause.message}`);
}
