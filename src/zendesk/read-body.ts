import { ZendeskApiError } from './errors.ts';

/**
 * Zendesk answers are checked before use: a body missing a field becomes a clear error naming the
 * endpoint and the field, not a TypeError three calls later.
 */
export function field<T>(
  body: unknown,
  name: string,
  endpoint: string,
  check: (value: unknown) => value is T,
): T {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  if (!check(value)) {
    throw new ZendeskApiError({
      endpoint,
      code: 'UnexpectedBody',
      description: `the answer has no valid "${name}"`,
      retryable: false,
    });
  }
  return value;
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

export const isArray = (value: unknown): value is unknown[] => Array.isArray(value);

/** Zendesk ids are positive integers; JSON can also say `1e400` (Infinity), `-1`, `1.5` or `"7"`. */
export const isId = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0;

export function hasId<T extends { id: number }>(value: unknown): value is T {
  return isObject(value) && isId(value.id);
}
