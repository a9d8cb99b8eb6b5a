import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../config/atomic-write.ts';

/** The OAuth tokens in use; times are epoch ms, undefined when Zendesk did not say. */
export interface OAuthTokens {
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: number | undefined;
  refreshExpiresAt: number | undefined;
  obtainedAt: number;
}

/** Which account and which profile tokens a stored chain belongs to. */
export interface TokenOrigin {
  baseUrl: string;
  clientId: string;
  /** `sha256:<hex>` of the profile's refresh token the chain started from (see `tokenFingerprint`). */
  profileRefreshToken: string;
}

export type StoredTokens = OAuthTokens & TokenOrigin;

export type TokenFileRead =
  | { kind: 'none' }
  | { kind: 'found'; stored: StoredTokens }
  | { kind: 'unreadable'; reason: string };

const VERSION = 1;

/**
 * `<stateDirectory>/<profile>.oauth.json`: the tokens Zendesk rotated to, so a restart goes on
 * with the live refresh token rather than the profile's used one. Mode 0600, written atomically
 * (a crash leaves the old or the new file, never half of one). Its content never reaches a log:
 * errors name the file and what is wrong, never the text.
 */
export class TokenFile {
  readonly path: string;

  constructor(file: string) {
    this.path = file;
  }

  static pathFor(stateDirectory: string, profileName: string): string {
    return path.join(stateDirectory, `${profileName}.oauth.json`);
  }

  async read(): Promise<TokenFileRead> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { kind: 'none' };
      return { kind: 'unreadable', reason: `cannot read it (${code ?? (error as Error).message})` };
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      // Not the parser's message: it quotes the text, which holds tokens.
      return { kind: 'unreadable', reason: 'it is not valid JSON' };
    }
    return parseStored(data);
  }

  async write(stored: StoredTokens): Promise<void> {
    await mkdir(path.dirname(this.path), { recursive: true, mode: 0o750 });
    const data = {
      note: 'OAuth tokens of cti-bridge, rotated at every refresh; do not edit or copy',
      version: VERSION,
      zendesk: stored.baseUrl,
      clientId: stored.clientId,
      profileRefreshToken: stored.profileRefreshToken,
      accessToken: stored.accessToken,
      accessTokenExpiresAt: isoOrNull(stored.accessExpiresAt),
      refreshToken: stored.refreshToken,
      refreshTokenExpiresAt: isoOrNull(stored.refreshExpiresAt),
      obtainedAt: new Date(stored.obtainedAt).toISOString(),
    };
    await writeFileAtomic(this.path, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  }
}

/** Identifies a profile's refresh token without keeping it: a changed profile token is noticed. */
export function tokenFingerprint(refreshToken: string): string {
  return `sha256:${createHash('sha256').update(refreshToken).digest('hex')}`;
}

function parseStored(data: unknown): TokenFileRead {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { kind: 'unreadable', reason: 'it is not a JSON object' };
  }
  const d = data as Record<string, unknown>;
  if (d.version !== VERSION) return { kind: 'unreadable', reason: `its version is not ${VERSION}` };
  for (const key of ['zendesk', 'clientId', 'profileRefreshToken', 'accessToken', 'refreshToken']) {
    if (typeof d[key] !== 'string' || d[key] === '') {
      return { kind: 'unreadable', reason: `${key} is missing` };
    }
  }
  const accessExpiresAt = timeOf(d.accessTokenExpiresAt);
  const refreshExpiresAt = timeOf(d.refreshTokenExpiresAt);
  const obtainedAt = timeOf(d.obtainedAt);
  if (
    accessExpiresAt === null ||
    refreshExpiresAt === null ||
    obtainedAt === null ||
    obtainedAt === undefined
  ) {
    return { kind: 'unreadable', reason: 'a time in it is not an ISO date' };
  }
  return {
    kind: 'found',
    stored: {
      baseUrl: d.zendesk as string,
      clientId: d.clientId as string,
      profileRefreshToken: d.profileRefreshToken as string,
      accessToken: d.accessToken as string,
      refreshToken: d.refreshToken as string,
      accessExpiresAt,
      refreshExpiresAt,
      obtainedAt,
    },
  };
}

/** Epoch ms; undefined for JSON null (unknown); null when the value is not a date. */
function timeOf(value: unknown): number | undefined | null {
  if (value === null || value === undefined) return undefined;
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) ? ms : null;
}

function isoOrNull(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}
