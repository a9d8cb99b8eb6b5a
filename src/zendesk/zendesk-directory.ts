import type { HelpdeskUser } from '../calls/ports.ts';
import type { HelpdeskDirectoryPort } from '../directory/ports.ts';
import { ZendeskApiError } from './errors.ts';
import { field, hasId, isArray, isObject } from './read-body.ts';
import { toUser } from './to-user.ts';
import type { WireGroup, WireUser } from './wire-types.ts';
import type { ZendeskHttp } from './zendesk-http.ts';

/** Zendesk's cursor pages are at most 100; this bounds a runaway `has_more`. */
const MAX_PAGES = 1_000;

/** The start-up sync's view of Zendesk: agents, groups, the default user. Background lane. */
export class ZendeskDirectory implements HelpdeskDirectoryPort {
  readonly #http: ZendeskHttp;

  constructor(http: ZendeskHttp) {
    this.#http = http;
  }

  async listAgents(): Promise<HelpdeskUser[]> {
    const users = await this.#allPages('/api/v2/users.json', 'GET /api/v2/users', 'users', {
      'role[]': ['agent', 'admin'],
    });
    return users.filter(hasId<WireUser>).map(toUser);
  }

  async listGroups(): Promise<Array<{ id: number; name: string }>> {
    const groups = await this.#allPages('/api/v2/groups.json', 'GET /api/v2/groups', 'groups', {});
    return groups
      .filter(
        (g): g is WireGroup =>
          hasId(g) && typeof (g as WireGroup).name === 'string' && !(g as WireGroup).deleted,
      )
      .map((g) => ({ id: g.id, name: g.name }));
  }

  async findUserByEmail(email: string): Promise<HelpdeskUser | undefined> {
    const endpoint = 'GET /api/v2/users/search';
    const { body } = await this.#http.request<unknown>({
      lane: 'background',
      method: 'GET',
      path: '/api/v2/users/search.json',
      endpoint,
      searchParams: { query: `email:${email}` },
      retries: 2,
    });
    const users = field(body, 'users', endpoint, isArray).filter(hasId<WireUser>);
    const exact = users.find(
      (u) => typeof u.email === 'string' && u.email.toLowerCase() === email.toLowerCase(),
    );
    return exact ? toUser(exact) : undefined;
  }

  async createUser(user: { name: string; email: string }): Promise<HelpdeskUser> {
    const endpoint = 'POST /api/v2/users';
    const { body } = await this.#http.request<unknown>({
      lane: 'background',
      method: 'POST',
      path: '/api/v2/users.json',
      endpoint,
      json: { user: { name: user.name, email: user.email, role: 'end-user', verified: true } },
    });
    return toUser(field(body, 'user', endpoint, hasId<WireUser>));
  }

  async #allPages(path: string, endpoint: string, key: string, params: Record<string, string | string[]>) {
    const items: unknown[] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { body } = await this.#http.request<unknown>({
        lane: 'background',
        method: 'GET',
        path,
        endpoint,
        searchParams: { ...params, 'page[size]': '100', ...(after ? { 'page[after]': after } : {}) },
        retries: 2,
      });
      items.push(...field(body, key, endpoint, isArray));
      const meta = isObject(body) && isObject(body.meta) ? body.meta : {};
      if (meta.has_more !== true || typeof meta.after_cursor !== 'string') return items;
      after = meta.after_cursor;
    }
    throw new ZendeskApiError({
      endpoint,
      code: 'TooManyPages',
      description: `more than ${MAX_PAGES} pages (has_more never ends); giving up`,
      retryable: false,
    });
  }
}
