import { json } from '../reply.ts';
import type { Handler } from '../world.ts';

/**
 * `POST /oauth/tokens` with the refresh_token grant, as JSON or as a form. Errors use OAuth's
 * `{error, error_description}` shape (the exact statuses are unverified: 400 for a bad grant,
 * 401 for a bad client).
 */
export const postOAuthToken: Handler = (ctx) => {
  const params: Record<string, string> = {};
  const body = ctx.body;
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    for (const [key, value] of Object.entries(body)) {
      if (typeof value === 'string' || typeof value === 'number') params[key] = String(value);
    }
  }
  const outcome = ctx.world.tokens.refresh(params);
  if (outcome.ok) return json(200, outcome.tokens, { 'Cache-Control': 'no-store' });
  return json(outcome.status, { error: outcome.error, error_description: outcome.description });
};
