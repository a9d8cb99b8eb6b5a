import type { UserRecord } from '../records.ts';
import { badRequest, json, type Reply } from '../reply.ts';
import { identityJson, userJson } from '../serialize.ts';
import type { Handler, HandlerContext } from '../world.ts';

/** The cursor-based export's page size: 1,000 by default and at most. */
const MAX_PER_PAGE = 1000;

/**
 * `GET /api/v2/incremental/users/cursor?start_time=<epoch s>` and then `?cursor=<after_cursor>`:
 * users created or changed since, oldest change first, each in its current state (deleted ones
 * with `active: false`). Changes of the last minute (`exportLagMs`) are not exported yet.
 * `include=identities` sideloads the page's users' identities. The answer always carries an
 * `after_cursor`, also on the last page: the next poll continues there.
 */
export const incrementalUsers: Handler = (ctx) => {
  const perPage = ctx.query.has('per_page') ? Number(ctx.query.get('per_page')) : MAX_PER_PAGE;
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > MAX_PER_PAGE) {
    return badRequest('InvalidPaginationParameter', `per_page must be between 1 and ${MAX_PER_PAGE}`);
  }
  const from = startOf(ctx);
  if ('reply' in from) return from.reply;
  const log = ctx.world.exportLog;
  const slice = log.slice(from, perPage);
  const base = ctx.world.baseUrl();
  const state = ctx.world.state;
  const users = slice.userIds.map((id) => state.user(id)).filter((u): u is UserRecord => u !== undefined);
  const afterCursor = encodeCursor(slice.position);
  const link = (cursor: string) => {
    const q = new URLSearchParams(ctx.query);
    q.delete('start_time');
    q.set('cursor', cursor);
    return `${ctx.selfUrl}?${q.toString()}`;
  };
  const beforeCursor = 'position' in from && from.position > 0 ? encodeCursor(from.position) : null;
  const body: Record<string, unknown> = {
    users: users.map((u) => userJson(u, base)),
    after_url: link(afterCursor),
    after_cursor: afterCursor,
    before_url: beforeCursor ? link(beforeCursor) : null,
    before_cursor: beforeCursor,
    end_of_stream: slice.endOfStream,
  };
  const include = (ctx.query.get('include') ?? '').split(',');
  if (include.includes('identities')) {
    body.identities = users.flatMap((u) => state.identities(u.id).map((i) => identityJson(i, base)));
  }
  return json(200, body);
};

function startOf(ctx: HandlerContext): { position: number } | { sinceMs: number } | { reply: Reply } {
  const cursor = ctx.query.get('cursor');
  if (cursor !== null) {
    const position = decodeCursor(cursor);
    return position === undefined
      ? { reply: badRequest('InvalidCursor', 'The cursor is not valid') }
      : { position };
  }
  const start = ctx.query.get('start_time');
  if (start === null) return { reply: badRequest('InvalidValue', 'start_time or cursor is required') };
  const seconds = Number(start);
  if (!/^\d+$/.test(start) || !Number.isSafeInteger(seconds)) {
    return { reply: badRequest('InvalidValue', 'start_time must be a Unix epoch time in seconds') };
  }
  if (seconds * 1000 > ctx.world.clock.now() - ctx.world.exportLog.lagMs) {
    return {
      reply: json(422, {
        error: 'InvalidValue',
        description: 'Too recent start_time. Use a start_time older than a minute',
      }),
    };
  }
  return { sinceMs: seconds * 1000 };
}

function encodeCursor(position: number): string {
  return Buffer.from(JSON.stringify({ p: position })).toString('base64url');
}

function decodeCursor(cursor: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const p = (parsed as { p?: unknown } | null)?.p;
    return typeof p === 'number' && Number.isSafeInteger(p) && p >= 0 ? p : undefined;
  } catch {
    return undefined;
  }
}
