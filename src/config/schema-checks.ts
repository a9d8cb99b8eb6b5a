import { isIP } from 'node:net';
import path from 'node:path';
import { isSupportedCountry } from 'libphonenumber-js';
import { validateDetailed } from 'node-cron';
import { z } from 'zod';

/**
 * Field types whose rules zod's built-ins cannot phrase for an admin. Each returns a plain zod
 * string schema refined by a function that names what is wrong and how to write it instead.
 */
function textChecked(typeLabel: string, check: (value: string) => string | undefined) {
  return z
    .string()
    .superRefine((value, ctx) => {
      const message = check(value);
      if (message !== undefined) ctx.addIssue({ code: 'custom', message, input: value });
    })
    .meta({ typeLabel });
}

export function nonEmptyText() {
  return z.string().min(1, { error: 'must not be empty' });
}

export function absolutePath() {
  return textChecked('absolute path', (value) => {
    if (!path.posix.isAbsolute(value)) return 'must be an absolute path (starting with /)';
    // Paths travel inside AMI lines and smbclient commands: a line break or quote would split them.
    if ([...value].some((c) => c < ' ' || c === '\u007f' || c === '"' || c === ';'))
      return 'must not contain control characters, double quotes or semicolons';
    return undefined;
  });
}

/** An address to listen on: an IP literal, so the listener never depends on name resolution. */
export function ipAddress() {
  return textChecked('IP address', (value) =>
    isIP(value) === 0
      ? 'must be an IP address, like 127.0.0.1 (loopback only) or 0.0.0.0 (every interface)'
      : undefined,
  );
}

export function countryCode() {
  return textChecked('country code', (value) => {
    if (!/^[A-Z]{2}$/.test(value)) return 'must be an ISO 3166-1 alpha-2 country code in capitals, like DE';
    return isSupportedCountry(value)
      ? undefined
      : 'is not a country with a known phone numbering plan; use an ISO 3166-1 alpha-2 code like DE';
  });
}

export function cronExpression() {
  return textChecked('cron expression', (value) => {
    const result = validateDetailed(value);
    if (result.valid) return undefined;
    const why = result.errors.map((error) => error.message).join('; ');
    return `is not a valid cron expression (${why}); write 5 fields, minute hour day month weekday, like "*/15 * * * *"`;
  });
}

export const TICKET_PLACEHOLDERS = ['callerNumber', 'callerName', 'queue', 'agent', 'time'] as const;

export function ticketTemplate() {
  return textChecked('text with placeholders', (value) => {
    if (value.trim() === '') return 'must not be empty';
    const unknown = [...value.matchAll(/\{([^{}]*)\}/g)]
      .map((match) => match[1]!)
      .filter((name) => !(TICKET_PLACEHOLDERS as readonly string[]).includes(name));
    if (unknown.length === 0) return undefined;
    const known = TICKET_PLACEHOLDERS.map((name) => `{${name}}`).join(' ');
    return `unknown placeholder ${unknown.map((name) => `{${name}}`).join(', ')}; use ${known}`;
  });
}

export function ticketTag() {
  return textChecked('string', (value) =>
    /^[^\s,]+$/.test(value) ? undefined : 'a tag must be one word without spaces or commas',
  );
}

/** `Callcenter/Berlin`: relative, forward slashes, never climbing out of the share. */
export function shareSubdirectory() {
  return textChecked('relative path', (value) => {
    if (value.includes('\\')) return 'use forward slashes (/), not backslashes';
    if (value.startsWith('/')) return 'must be relative to the share: remove the leading slash';
    if (value.split('/').includes('..')) return 'must not contain a .. segment';
    return undefined;
  });
}

/** Whether a share target is an SMB URL (credentials needed) rather than an OS-mounted directory. */
export function isSmbTarget(target: unknown): boolean {
  return typeof target === 'string' && /^smb:\/\//i.test(target);
}

export function shareTarget() {
  return textChecked('`smb://host/share` or absolute path', (value) => {
    if (value.startsWith('\\\\'))
      return 'write an smb://server/share URL instead of a \\\\server\\share path';
    if (!isSmbTarget(value)) {
      return path.posix.isAbsolute(value)
        ? undefined
        : 'must be smb://host/share or an absolute local directory (an OS-mounted share)';
    }
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return 'is not a valid smb:// URL; write smb://host/share or smb://host:port/share';
    }
    if (url.password)
      return 'must not contain a password: put it in share.password as env:NAME or file:/path';
    if (url.username) return 'must not contain a user name: put it in share.username';
    if (url.search || url.hash) return 'must not have a query or fragment';
    const segments = url.pathname.split('/').filter(Boolean);
    if (segments.length === 0) return 'needs the share name: smb://host/share';
    if (segments.length > 1)
      return 'must name only host and share; put folders below it in share.subdirectory';
    return undefined;
  });
}

export function cacheStore() {
  return textChecked('`memory` | `sqlite:<file>` | `redis://…`', (value) => {
    if (value === 'memory') return undefined;
    if (value.startsWith('sqlite:'))
      return value.length > 'sqlite:'.length ? undefined : 'sqlite: needs a file path';
    if (!/^rediss?:\/\//.test(value)) return 'must be memory, sqlite:<file path>, redis://… or rediss://…';
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return 'is not a valid redis URL, like redis://127.0.0.1:6379';
    }
    if (!url.hostname) return 'needs a host, like redis://127.0.0.1:6379';
    if (url.password)
      return 'must not contain a password: put it in cache.password as env:NAME or file:/path';
    return undefined;
  });
}
