/**
 * What the phone directory mirror needs from Zendesk: its incremental user export, page by page.
 * The zendesk/ adapter (zendesk-user-export.ts) implements it.
 */

/** The first request starts at a time (epoch seconds); every later one continues a cursor. */
export type ExportFrom = { startTime: number } | { cursor: string };

export interface ExportedUser {
  id: number;
  name: string;
  role: 'end-user' | 'agent' | 'admin';
  /** False once the user was deleted. */
  active: boolean;
  /** The user's phone numbers as stored, in any notation. */
  phones: string[];
}

export interface ExportPage {
  /** Users created or changed since the position asked for, each in its current state. */
  users: ExportedUser[];
  /** Where the next request continues (also after the last page: the next poll starts there). */
  afterCursor: string | null;
  /** Everything up to about a minute ago has been returned. */
  endOfStream: boolean;
  /** The phone identities came sideloaded; without them only each user's primary number is known. */
  allPhones: boolean;
}

export interface UserExportPort {
  page(from: ExportFrom): Promise<ExportPage>;
}

/**
 * Zendesk refused the export for good: `no access` (the bridge's user is not an admin, or the
 * account has no export), or `bad request` (a cursor or start time it does not take). Any other
 * error is taken as passing.
 */
export class ExportRefused extends Error {
  readonly reason: 'no access' | 'bad request';

  constructor(reason: 'no access' | 'bad request', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExportRefused';
    this.reason = reason;
  }
}
