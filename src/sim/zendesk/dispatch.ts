import { type ApiTokenCredential, authenticate } from './auth.ts';
import { fingerprint, type IdempotencyStore } from './idempotency.ts';
import { type RateLimiter, rateHeaders } from './rate-limit.ts';
import { badRequest, forbidden, invalidEndpoint, json, type Reply, unauthorized } from './reply.ts';
import type { RouteMatch } from './router.ts';
import type { Handler, HandlerContext } from './world.ts';

export interface Gate {
  apiTokens: readonly ApiTokenCredential[];
  /** The user OAuth tokens belong to. */
  oauthUserEmail: string;
  limiter: RateLimiter;
  /** The incremental exports' own budget (10 a minute). */
  exportLimiter: RateLimiter;
  idempotency: IdempotencyStore;
  talkPartnerEdition: boolean;
}

export type RequestContext = Omit<HandlerContext, 'params' | 'user'>;

/**
 * Runs one request through what Zendesk does before and around a handler, in this order:
 * authentication (401), the per-minute budget (429), the Talk Partner Edition gate (403),
 * Idempotency-Key replay, then the handler. Every API answer carries the rate headers.
 */
export function dispatch(match: RouteMatch<Handler> | undefined, ctx: RequestContext, gate: Gate): Reply {
  if (!match) return invalidEndpoint();
  // Jobs due by now land before anything can read their tickets.
  ctx.world.jobs.settle();
  const { route, params, endpoint } = match;
  if (route.public) return route.handler({ ...ctx, params, user: undefined });

  const ticketing = !route.talk;
  const auth = authenticate(headerOf(ctx, 'authorization'), gate.apiTokens, ctx.world.tokens);
  const user = auth.ok ? ctx.world.state.userByEmail(auth.email ?? gate.oauthUserEmail) : undefined;
  if (!user) return withHeaders(unauthorized(), rateHeaders(gate.limiter.peek(), ticketing));

  const exportRate = route.export ? gate.exportLimiter.peek() : undefined;
  const rate = exportRate?.allowed === false ? gate.limiter.peek() : gate.limiter.take();
  const headers = rateHeaders(rate, ticketing);
  const refused = exportRate?.allowed === false ? exportRate : rate.allowed ? undefined : rate;
  if (refused) {
    const tooMany = json(429, { error: 'TooManyRequests', description: 'Rate limit exceeded' });
    return withHeaders(tooMany, { ...headers, 'Retry-After': String(refused.resetSec) });
  }
  if (route.export) gate.exportLimiter.take();
  if (route.talk && !gate.talkPartnerEdition) return withHeaders(forbidden(), headers);

  const key = route.idempotent ? headerOf(ctx, 'idempotency-key') : undefined;
  if (!key) return withHeaders(route.handler({ ...ctx, params, user }), headers);

  const print = fingerprint(endpoint, ctx.body);
  const lookup = gate.idempotency.lookup(key, print);
  if (lookup.kind === 'hit') return withHeaders(lookup.reply, { ...headers, 'x-idempotency-lookup': 'hit' });
  if (lookup.kind === 'mismatch') {
    const refused = badRequest(
      'IdempotencyKeyReused',
      'The Idempotency-Key was already used with another request',
    );
    return withHeaders(refused, headers);
  }
  const reply = route.handler({ ...ctx, params, user });
  // Only successes are remembered: a refused request may be corrected and retried under its key.
  if (reply.status >= 200 && reply.status < 300) gate.idempotency.store(key, print, reply);
  return withHeaders(reply, { ...headers, 'x-idempotency-lookup': 'miss' });
}

function withHeaders(reply: Reply, headers: Record<string, string>): Reply {
  return { ...reply, headers: { ...reply.headers, ...headers } };
}

function headerOf(ctx: RequestContext, name: string): string | undefined {
  const value = ctx.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
