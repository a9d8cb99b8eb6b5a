import {
  type ExportedUser,
  type ExportFrom,
  type ExportPage,
  ExportRefused,
  type UserExportPort,
} from '../mirror/ports.ts';
import { ZendeskApiError } from './errors.ts';
import { field, hasId, isArray, isId, isObject } from './read-body.ts';
import { toUser } from './to-user.ts';
import type { WireUser } from './wire-types.ts';
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
    const endOfStream = field(body, 'end_of_stream', ENDPOINT, (v): v is boolean => typeof v === 'boolean');
    const page = body as Record<string, unknown>;
    const identities = isArray(page.identities) ? page.identities : undefined;
    const phones = identities ? phonesByUser(identities) : undefined;
    return {
      users: users.filter(hasId<WireExportUser>).map((user) => toExported(user, phones)),
      afterCursor:
        typeof page.after_cursor === 'string' && page.after_cursor !== '' ? page.after_cursor : null,
      endOfStream,
      allPhones: identities !== undefined,
    };
  }
}

type WireExportUser = WireUser & { active?: unknown };

function toExported(user: WireExportUser, phones: Map<number, string[]> | undefined): ExportedUser {
  // toUser reads every field defensively (the export's users are as unchecked as any answer).
  const { id, name, role, phone } = toUser(user);
  const primary = phone ? [phone] : [];
  return {
    id,
    name,
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
