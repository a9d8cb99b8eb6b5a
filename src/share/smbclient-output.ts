/**
 * Reading what `smbclient` prints (Samba 4.17, measured): every failure is a line naming an
 * NT_STATUS code (`NT_STATUS_ACCESS_DENIED opening remote file \a\x.partial`,
 * `session setup failed: NT_STATUS_LOGON_FAILURE`, `cli_push returned NT_STATUS_DISK_FULL`) or, for
 * the local side of `put`, `<file> does not exist`. `ls` prints one line per entry.
 */
import type { ShareErrorKind } from './share-transport.ts';

/** One failure smbclient reported, classified. */
export interface SmbProblem {
  kind: ShareErrorKind;
  /** The NT_STATUS code without prefix (`DISK_FULL`), when the line had one. */
  code: string | undefined;
  /** The line it came from (not yet scrubbed of secrets: the caller does that). */
  line: string;
  /** The SMB connection is gone: further commands in this smbclient session cannot work. */
  sessionLost: boolean;
}

const AUTH_CODES = new Set([
  'LOGON_FAILURE',
  'WRONG_PASSWORD',
  'NO_SUCH_USER',
  'ACCOUNT_DISABLED',
  'ACCOUNT_LOCKED_OUT',
  'ACCOUNT_EXPIRED',
  'ACCOUNT_RESTRICTION',
  'PASSWORD_EXPIRED',
  'PASSWORD_MUST_CHANGE',
  'INVALID_LOGON_HOURS',
  'INVALID_WORKSTATION',
  'LOGON_TYPE_NOT_GRANTED',
  'NO_LOGON_SERVERS',
  'TRUSTED_RELATIONSHIP_FAILURE',
]);

const LOST_CODES = new Set([
  'CONNECTION_REFUSED',
  'CONNECTION_RESET',
  'CONNECTION_DISCONNECTED',
  'CONNECTION_ABORTED',
  'HOST_UNREACHABLE',
  'NETWORK_UNREACHABLE',
  'PORT_UNREACHABLE',
  'IO_TIMEOUT',
  'INVALID_NETWORK_RESPONSE',
  'PIPE_BROKEN',
  'PIPE_DISCONNECTED',
  'END_OF_FILE',
  'NETWORK_NAME_DELETED',
  'USER_SESSION_DELETED',
  'NETWORK_SESSION_EXPIRED',
]);

function kindOf(code: string): ShareErrorKind {
  if (AUTH_CODES.has(code)) return 'auth';
  if (code === 'BAD_NETWORK_NAME') return 'no-share';
  if (code === 'DISK_FULL' || code === 'QUOTA_EXCEEDED') return 'full';
  if (code === 'ACCESS_DENIED' || code === 'NETWORK_ACCESS_DENIED' || code === 'MEDIA_WRITE_PROTECTED')
    return 'denied';
  if (LOST_CODES.has(code)) return 'unreachable';
  return 'other';
}

/** Which kind explains a failure best when one command printed several lines. */
const PRECEDENCE: readonly ShareErrorKind[] = ['auth', 'no-share', 'full', 'denied', 'unreachable', 'other'];

const STATUS = /NT_STATUS_([A-Z0-9_]+)/;

/**
 * The failure among `lines`, or undefined when none is. `ignore` says which lines a successful
 * command prints (`putting file …`); `tolerate` which codes do not count (`OBJECT_NAME_COLLISION`
 * for a directory that exists). With `strict`, any other line is a failure too: a `put` prints
 * nothing else when it worked, and a put that lost bytes on the way may print only a stray line.
 */
export function problemIn(
  lines: readonly string[],
  options: { ignore?: RegExp; tolerate?: ReadonlySet<string>; strict?: boolean } = {},
): SmbProblem | undefined {
  let best: SmbProblem | undefined;
  let lost = false;
  for (const line of lines) {
    if (line.trim() === '' || options.ignore?.test(line)) continue;
    const code = STATUS.exec(line)?.[1];
    if (code !== undefined && options.tolerate?.has(code)) continue;
    let kind: ShareErrorKind | undefined;
    if (code !== undefined) kind = kindOf(code);
    else if (/Connection to .* failed/.test(line)) kind = 'unreachable';
    else if (options.strict) kind = 'other';
    if (kind === undefined) continue;
    if (kind === 'unreachable') lost = true;
    const candidate: SmbProblem = { kind, code, line, sessionLost: false };
    if (!best || PRECEDENCE.indexOf(kind) < PRECEDENCE.indexOf(best.kind)) best = candidate;
  }
  // A disk-full put is followed by INVALID_NETWORK_RESPONSE: the kind is `full`, and the session
  // is lost all the same.
  if (best) best.sessionLost = lost;
  return best;
}

/** NT_STATUS codes `ls` answers for a path that is not there. */
export const NOT_FOUND_CODES: ReadonlySet<string> = new Set([
  'NO_SUCH_FILE',
  'OBJECT_NAME_NOT_FOUND',
  'OBJECT_PATH_NOT_FOUND',
]);

export interface ListingEntry {
  name: string;
  directory: boolean;
  size: number;
}

// `  %-30s%7.7s %8.0f  %s`: name, attributes (D, A, H, S, R, N), size, then the time as
// `Sun Nov 22 01:58:05 2026`. Anchored at the end so a name with blanks stays whole.
const ENTRY = /^ {2}(.+?)\s+([A-Z]*)\s+(\d+) {2}[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/;

/** The entries of an `ls` answer; other lines (the free-space footer, errors) are skipped. */
export function parseListing(lines: readonly string[]): ListingEntry[] {
  const entries: ListingEntry[] = [];
  for (const line of lines) {
    const m = ENTRY.exec(line);
    if (!m) continue;
    const name = m[1]!;
    if (name === '.' || name === '..') continue;
    entries.push({ name, directory: m[2]!.includes('D'), size: Number(m[3]) });
  }
  return entries;
}

/** What an admin should read for a kind, e.g. `wrong user name or password`. */
export function explain(problem: SmbProblem): string {
  // `put` names the local file it cannot open: `/var/spool/…/x.wav does not exist`.
  if (problem.code === undefined && / does not exist$/.test(problem.line))
    return 'the local file could not be read';
  switch (problem.code) {
    case 'LOGON_FAILURE':
    case 'WRONG_PASSWORD':
    case 'NO_SUCH_USER':
      return 'wrong user name or password';
    case 'ACCOUNT_LOCKED_OUT':
      return 'the account is locked out';
    case 'ACCOUNT_DISABLED':
      return 'the account is disabled';
    case 'ACCOUNT_EXPIRED':
    case 'PASSWORD_EXPIRED':
    case 'PASSWORD_MUST_CHANGE':
      return 'the account or its password has expired';
    case 'CONNECTION_REFUSED':
      return 'connection refused (is the server up, is the port right?)';
    case 'CONNECTION_RESET':
    case 'CONNECTION_DISCONNECTED':
    case 'CONNECTION_ABORTED':
    case 'PIPE_BROKEN':
      return 'the connection was lost (server stopped, or the network dropped it)';
    case 'HOST_UNREACHABLE':
    case 'NETWORK_UNREACHABLE':
      return 'host unreachable';
    case 'IO_TIMEOUT':
      return 'the server stopped answering';
    case 'DISK_FULL':
    case 'QUOTA_EXCEEDED':
      return 'no space left on the share';
    case 'BAD_NETWORK_NAME':
      return 'no share of that name on the server';
    case 'NETWORK_ACCESS_DENIED':
      return 'the user may not use this share';
    case 'ACCESS_DENIED':
      return 'access denied: the user may not write there';
    default:
      break;
  }
  switch (problem.kind) {
    case 'auth':
      return 'the login was refused';
    case 'unreachable':
      return 'the connection failed or was lost';
    case 'denied':
      return 'access denied';
    case 'full':
      return 'no space left on the share';
    default:
      return 'smbclient reported an error';
  }
}
