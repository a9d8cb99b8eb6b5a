import { json } from '../reply.ts';
import type { Handler } from '../world.ts';

/**
 * `POST /oauth/tokens` with the refresh_token grant, as JSON or as a form. Errors use OAuth's
 * `{error, error_description}` shape: 400 `invalid_grant` with Zendesk's wording for a used,
 * expired or revoked refresh token (as Zendesk's support article shows it); 401 `invalid_client`
 * for a wrong client (RFC 6749 section 5.2; Zendesk's status for it is unverified).
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
