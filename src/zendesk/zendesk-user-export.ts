import {
  type ExportedUser,
  type ExportFrom,
  type ExportPage,
  ExportRefused,
  type UserExportPort,
} from '../mirror/ports.ts';
import { ZendeskApiError } from './errors.ts';
import { field, isArray, isId, isObject } from './read-body.ts';
import type { ZendeskHttp } from './zendesk-http.ts';

const ENDPOINT = 'GET /api/v2/incremental/users/cursor';
/** The most the cursor-based export returns in one page. */
const PAGE_SIZE = '1000';

/**
 * Zendesk's incremental user export, cursor based
 * (api-reference/ticketing/ticket-management/incremental_exports): every user created or changed
 * since a time, 1,000 a page, oldest change first, with the phone identities sideloaded
 * (`include=identities`). It has a limit of its own, 10 requests a minute, so its requests go
 * through a ZendeskHttp whose rate gate is not the account's: a 429 here must not hold pops.
 */
export class ZendeskUserExport implements UserExportPort {
  readonly #http: ZendeskHttp;

  constructor(http: ZendeskHttp) {
    this.#http = http;
  }

  async page(from: ExportFrom): Promise<ExportPage> {
    let body: unknown;
    try {
      ({ body } = await this.#http.request<unknown>({
        lane: 'background',
        method: 'GET',
        path: '/api/v2/incremental/users/cursor.json',
        endpoint: ENDPOINT,
        searchParams: {
          ...('cursor' in from ? { cursor: from.cursor } : { start_time: String(from.startTime) }),
          per_page: PAGE_SIZE,
          include: 'identities',
        },
        timeoutMs: 60_000,
      }));
    } catch (error) {
      throw refusal(error) ?? error;
    }
    const users = field(body, 'users', ENDPOINT, isArray);
    const page = body as Record<string, unknown>;
    if (typeof page.end_of_stream !== 'boolean') {
      throw new ZendeskApiError({
        endpoint: ENDPOINT,
        code: 'UnexpectedBody',
        description: 'the answer has no valid "end_of_stream"',
        retryable: false,
      });
    }
    const identities = isArray(page.identities) ? page.identities : undefined;
    const phones = identities ? phonesByUser(identities) : undefined;
    return {
      users: users.filter(isExportedUser).map((user) => toExported(user, phones)),
      afterCursor:
        typeof page.after_cursor === 'string' && page.after_cursor !== '' ? page.after_cursor : null,
      endOfStream: page.end_of_stream,
      allPhones: identities !== undefined,
    };
  }
}

type WireExportUser = { id: number; name?: unknown; role?: unknown; active?: unknown; phone?: unknown };

function isExportedUser(value: unknown): value is WireExportUser {
  return isObject(value) && isId(value.id);
}

function toExported(user: WireExportUser, phones: Map<number, string[]> | undefined): ExportedUser {
  const role = user.role === 'agent' || user.role === 'admin' ? user.role : 'end-user';
  const primary = typeof user.phone === 'string' && user.phone !== '' ? [user.phone] : [];
  return {
    id: user.id,
    name: typeof user.name === 'string' || typeof user.name === 'number' ? String(user.name) : '',
    role,
    // Only a deleted user says false; a missing field is taken as active.
    active: user.active !== false,
    phones: phones ? (phones.get(user.id) ?? []) : primary,
  };
}

/** The sideloaded identities of a page, phone numbers only, by user. */
function phonesByUser(identities: unknown[]): Map<number, string[]> {
  const byUser = new Map<number, string[]>();
  for (const identity of identities) {
    if (!isObject(identity) || identity.type !== 'phone_number') continue;
    if (!isId(identity.user_id) || typeof identity.value !== 'string') continue;
    const list = byUser.get(identity.user_id) ?? [];
    list.push(identity.value);
    byUser.set(identity.user_id, list);
  }
  return byUser;
}

/** 403/404: no export for this user or account; 400/422: a cursor or start time it does not take. */
function refusal(error: unknown): ExportRefused | undefined {
  if (!(error instanceof ZendeskApiError) || error.status === undefined) return undefined;
  if (error.status === 403 || error.status === 404)
    return new ExportRefused('no access', error.message, { cause: error });
  if (error.status === 400 || error.status === 422)
    return new ExportRefused('bad request', error.message, { cause: error });
  return undefined;
}
