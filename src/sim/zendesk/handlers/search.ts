import { offsetPage } from '../pagination.ts';
import type { UserRecord } from '../records.ts';
import { badRequest, json } from '../reply.ts';
import { parseUserQuery } from '../search-query.ts';
import { userJson } from '../serialize.ts';
import type { Handler, HandlerContext } from '../world.ts';

/** The Search API answers at most 1,000 results per query (page 11 of 100 is refused). */
const SEARCH_RESULT_LIMIT = 1000;

/**
 * `GET /search?query=…`: users only (tickets are not indexed by this fake). Both search endpoints
 * read the lagging index, so a user created a moment ago is not found yet.
 */
export const search: Handler = (ctx) => {
  const query = ctx.query.get('query');
  if (!query) return badRequest('ParameterMissing', 'The query parameter is required');
  const tooFar = beyondLimit(ctx);
  if (tooFar) return tooFar;
  const base = ctx.world.baseUrl();
  const results = found(ctx, query).map((u) => ({ ...userJson(u, base), result_type: 'user' }));
  const page = offsetPage(results, { key: 'results', selfUrl: ctx.selfUrl, query: ctx.query });
  return page.status === 200 ? json(200, { ...(page.body as object), facets: null }) : page;
};

/** `GET /users/search?query=…` (or `?external_id=…`) → `{users:[…]}`. */
export const searchUsers: Handler = (ctx) => {
  const query = ctx.query.get('query');
  const externalId = ctx.query.get('external_id');
  if (!query && !externalId) return badRequest('ParameterMissing', 'query or external_id is required');
  const base = ctx.world.baseUrl();
  const users = found(ctx, query ?? `external_id:${externalId}`).map((u) => userJson(u, base));
  return offsetPage(users, { key: 'users', selfUrl: ctx.selfUrl, query: ctx.query });
};

function found(ctx: HandlerContext, query: string): UserRecord[] {
  const parsed = parseUserQuery(query);
  const state = ctx.world.state;
  return ctx.world.index
    .visible()
    .filter((doc) => doc.active && parsed.matches(doc))
    .map((doc) => state.user(doc.userId))
    .filter((u): u is UserRecord => u !== undefined);
}

function beyondLimit(ctx: HandlerContext) {
  const page = Number(ctx.query.get('page') ?? 1);
  const perPage = Math.min(Number(ctx.query.get('per_page') ?? 100), 100);
  if (page * perPage <= SEARCH_RESULT_LIMIT) return undefined;
  return json(422, {
    error: 'InvalidValue',
    description: 'Invalid search: Requested response size was greater than Search Response Limits',
  });
}
