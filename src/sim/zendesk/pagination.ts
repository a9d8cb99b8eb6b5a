import { badRequest, json, type Reply } from './reply.ts';

const MAX_PAGE_SIZE = 100;
/** Offset pagination refuses to go past the first 10,000 records (400 since Aug 2023). */
const OFFSET_RECORD_LIMIT = 10_000;

export interface PageRequest {
  /** The list's key in the body: `users`, `groups`, `tickets`, `comments`. */
  key: string;
  /** Absolute URL of this endpoint as requested, without query: base for links. */
  selfUrl: string;
  query: URLSearchParams;
}

/**
 * Zendesk's two list styles. `page[size]` (or a cursor) selects cursor pagination
 * (`meta.has_more`, `meta.after_cursor`, `links.next` as a full URL); otherwise offset pagination
 * (`next_page`, `previous_page`, `count`). Items must already be in id order.
 */
export function paginate<T extends { id: number }>(items: readonly T[], page: PageRequest): Reply {
  const q = page.query;
  const cursorStyle = q.has('page[size]') || q.has('page[after]') || q.has('page[before]');
  return cursorStyle ? cursorPage(items, page) : offsetPage(items, page);
}

function cursorPage<T extends { id: number }>(items: readonly T[], page: PageRequest): Reply {
  const size = Number(page.query.get('page[size]') ?? MAX_PAGE_SIZE);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    return badRequest('InvalidPaginationParameter', `page[size] must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  const after = page.query.get('page[after]');
  const before = page.query.get('page[before]');
  const afterId = after === null ? null : decodeCursor(after);
  const beforeId = before === null ? null : decodeCursor(before);
  if ((after !== null && afterId === null) || (before !== null && beforeId === null)) {
    return badRequest('InvalidPaginationParameter', 'page[after] or page[before] is not a valid cursor');
  }
  let slice: readonly T[];
  let hasMore: boolean;
  if (beforeId !== null) {
    const earlier = items.filter((item) => item.id < beforeId);
    slice = earlier.slice(Math.max(0, earlier.length - size));
    hasMore = earlier.length > size;
  } else {
    const later = afterId === null ? items : items.filter((item) => item.id > afterId);
    slice = later.slice(0, size);
    hasMore = later.length > size;
  }
  const first = slice[0];
  const last = slice[slice.length - 1];
  const afterCursor = last ? encodeCursor(last.id) : null;
  const beforeCursor = first ? encodeCursor(first.id) : null;
  const link = (name: 'page[after]' | 'page[before]', cursor: string) => {
    const q = new URLSearchParams(page.query);
    q.delete('page[after]');
    q.delete('page[before]');
    q.set('page[size]', String(size));
    q.set(name, cursor);
    return `${page.selfUrl}?${q.toString()}`;
  };
  return json(200, {
    [page.key]: slice,
    meta: { has_more: hasMore, after_cursor: afterCursor, before_cursor: beforeCursor },
    links: {
      next: hasMore && afterCursor ? link('page[after]', afterCursor) : null,
      prev: beforeCursor ? link('page[before]', beforeCursor) : null,
    },
  });
}

export function offsetPage<T>(items: readonly T[], page: PageRequest): Reply {
  const number = Number(page.query.get('page') ?? 1);
  const perPage = Number(page.query.get('per_page') ?? MAX_PAGE_SIZE);
  if (!Number.isInteger(number) || number < 1 || !Number.isInteger(perPage) || perPage < 1) {
    return badRequest('InvalidPaginationParameter', 'page and per_page must be positive integers');
  }
  const size = Math.min(perPage, MAX_PAGE_SIZE);
  if (number * size > OFFSET_RECORD_LIMIT) {
    return badRequest(
      'InvalidPaginationParameter',
      'Offset pagination is limited to the first 10,000 records; use cursor pagination',
    );
  }
  const start = (number - 1) * size;
  const link = (n: number) => {
    const q = new URLSearchParams(page.query);
    q.set('page', String(n));
    q.set('per_page', String(size));
    return `${page.selfUrl}?${q.toString()}`;
  };
  return json(200, {
    [page.key]: items.slice(start, start + size),
    next_page: start + size < items.length ? link(number + 1) : null,
    previous_page: number > 1 ? link(number - 1) : null,
    count: items.length,
  });
}

function encodeCursor(id: number): string {
  return Buffer.from(JSON.stringify({ id })).toString('base64url');
}

function decodeCursor(cursor: string): number | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const id = (parsed as { id?: unknown } | null)?.id;
    return typeof id === 'number' && Number.isInteger(id) ? id : null;
  } catch {
    return null;
  }
}
