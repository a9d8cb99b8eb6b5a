import type { IndexedUser } from './search-index.ts';

/** A parsed search string: every term must hold (Zendesk joins terms with AND). */
export interface UserQuery {
  /** False when the query asks for another result type (type:ticket): users never match. */
  wantsUsers: boolean;
  matches(doc: IndexedUser): boolean;
}

type Term = (doc: IndexedUser) => boolean;

const NEVER: Term = () => false;

/**
 * Parses the subset of Zendesk's search syntax the bridge uses: `type:user`, `role:end-user`,
 * `phone:<digits>` (with `*` wildcards), `email:`, `name:`, `external_id:` and bare words.
 * Unknown properties match nothing rather than everything, so a typo shows up as "not found".
 */
export function parseUserQuery(query: string): UserQuery {
  let wantsUsers = true;
  const terms: Term[] = [];
  for (const token of tokenize(query)) {
    const colon = token.indexOf(':');
    if (colon <= 0) {
      terms.push(bareWord(token));
      continue;
    }
    const key = token.slice(0, colon).toLowerCase();
    const value = unquote(token.slice(colon + 1));
    if (key === 'type') {
      if (value.toLowerCase() !== 'user') wantsUsers = false;
      continue;
    }
    terms.push(propertyTerm(key, value));
  }
  return { wantsUsers, matches: (doc) => wantsUsers && terms.every((term) => term(doc)) };
}

function propertyTerm(key: string, value: string): Term {
  if (value === '') return NEVER;
  switch (key) {
    case 'role':
      return (doc) => doc.role === value.toLowerCase();
    case 'phone':
      return (doc) => phoneMatches(doc.phones, value);
    case 'email':
      return (doc) => doc.email !== null && wildcard(value).test(doc.email);
    case 'name':
      return (doc) => doc.name.toLowerCase().includes(value.toLowerCase());
    case 'external_id':
      return (doc) => doc.externalId === value;
    default:
      return NEVER;
  }
}

function bareWord(word: string): Term {
  const value = unquote(word);
  if (/^\d+$/.test(value)) return (doc) => phoneMatches(doc.phones, value);
  const lower = value.toLowerCase();
  return (doc) => doc.name.toLowerCase().includes(lower) || doc.email?.toLowerCase() === lower;
}

/**
 * Stored numbers are compared on their digits only. The query must be digits, optionally with a
 * leading `*` (any prefix: matches `+1 513.555.7611` and `(513) 555-7611` for `*5135557611`) or
 * a trailing `*`. Anything else — a literal `+`, spaces, dashes — matches nothing, as documented.
 */
export function phoneMatches(stored: readonly string[], query: string): boolean {
  let digits = query;
  const anyPrefix = digits.startsWith('*');
  if (anyPrefix) digits = digits.slice(1);
  const anySuffix = digits.endsWith('*');
  if (anySuffix) digits = digits.slice(0, -1);
  if (!/^\d+$/.test(digits)) return false;
  return stored.some((value) => {
    const have = value.replace(/\D/g, '');
    if (anyPrefix && anySuffix) return have.includes(digits);
    if (anyPrefix) return have.endsWith(digits);
    if (anySuffix) return have.startsWith(digits);
    return have === digits;
  });
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}

function tokenize(query: string): string[] {
  return query.match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
}

function unquote(value: string): string {
  return value.replace(/"/g, '');
}
