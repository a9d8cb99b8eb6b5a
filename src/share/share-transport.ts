/**
 * How recordings reach the supervisors' file share. Two implementations: SMB through Samba's own
 * `smbclient` (SMB3, NTLMv2, signing; see README "Dependencies" for why not a pure-JS client) and
 * a local directory where the OS mounted the share. The copy run (recordings/) decides what to copy
 * and when; a transport only moves bytes and reports what the share says.
 *
 * Remote paths are relative to the share root, with forward slashes (`Callcenter/RecordedCalls/2026/11/22/x.wav`).
 */

export interface CopyItem {
  /** Absolute local path of a complete recording. */
  localFile: string;
  /** Where it goes, relative to the share root, forward slashes. */
  remotePath: string;
  /** Local size in bytes when the run started; the remote copy must have exactly this size. */
  size: number;
}

export type CopyOutcome =
  | { item: CopyItem; ok: true; remoteSize: number }
  | { item: CopyItem; ok: false; error: ShareError };

export type ShareErrorKind =
  /** Host down, port closed, connection reset, smbd gone mid-transfer. */
  | 'unreachable'
  /** Wrong user name or password, account locked. */
  | 'auth'
  /** The share name does not exist on the server. */
  | 'no-share'
  /** The share refused a write or a directory: permissions. */
  | 'denied'
  /** No space left on the share. */
  | 'full'
  /** No answer within the bound. */
  | 'timeout'
  /** The run was cancelled (daemon stopping). */
  | 'aborted'
  | 'other';

/** What went wrong, in words an admin can act on. Never contains a password. */
export class ShareError extends Error {
  readonly kind: ShareErrorKind;
  /** `smb://host:port/share` or the directory: never credentials. */
  readonly share: string;

  constructor(kind: ShareErrorKind, share: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShareError';
    this.kind = kind;
    this.share = share;
  }
}

export interface ShareTransport {
  /** For logs and status: `smb://host:port/share` or the local directory. Never credentials. */
  readonly name: string;
  /**
   * Sizes of the files directly inside a remote directory (name → bytes); an empty map when the
   * directory does not exist. Rejects with ShareError when the share cannot be used at all.
   */
  list(dir: string, signal?: AbortSignal): Promise<Map<string, number>>;
  /**
   * Copies each item: missing directories are created, bytes go to a temporary name that is
   * renamed to the final name only when complete (an existing file of the final name is replaced),
   * then the remote size is read back. Streams: memory does not grow with file size.
   * One file's failure is that item's outcome; rejects with ShareError only when the share cannot
   * be used at all (unreachable, auth, no such share) before anything was copied. A transfer cut
   * off mid-file leaves at most a temporary name behind, never a short file under the final name.
   */
  copy(items: readonly CopyItem[], signal?: AbortSignal): Promise<CopyOutcome[]>;
  /** Frees what the transport holds (temporary credential files); idempotent. */
  close(): Promise<void>;
}
