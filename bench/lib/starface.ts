import type { CountryCode } from 'libphonenumber-js';
import { parseCallerNumber } from '../../src/calls/caller-number.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { Secret } from '../../src/util/secret.ts';
import { apiTokenAuth } from '../../src/zendesk/auth.ts';
import { ZendeskHelpdesk } from '../../src/zendesk/zendesk-helpdesk.ts';
import { ZendeskHttp } from '../../src/zendesk/zendesk-http.ts';
import { TEST_SECRETS } from '../../test/support/test-secrets.ts';

/**
 * The STARFACE Zendesk module's call sequence, as its documentation and FAQ describe it, driven
 * through our own Zendesk client (ZendeskHttp/ZendeskHelpdesk) so that only the sequence differs:
 *
 * - the caller is searched when the call comes in (queue entry); results are kept in memory;
 * - on answer: requester = the search result if the search has returned by then, else the
 *   default user ("the FAQ's second problem": a fast agent turns a known caller into an unknown);
 * - then POST /api/v2/tickets, then GET /api/v2/users/search?query=<agent email> (the agent is
 *   looked up on every call), then POST …/agents/{agent}/tickets/{ticket}/display.
 *
 * Tickets carry `external_id: starface:<call id>` so a benchmark can find them.
 */
export interface StarfaceCall {
  callId: string;
  queuedAt: number;
  answeredAt?: number;
  /** When the caller search returned (undefined: not searched, or still running). */
  searchReturnedAt?: number;
  requester?: 'caller' | 'default user';
  ticketId?: number;
  error?: string;
}

export class StarfaceStyle {
  readonly #http: ZendeskHttp;
  readonly #helpdesk: ZendeskHelpdesk;
  readonly #agentEmails: ReadonlyMap<string, string>;
  readonly #defaultUserId: number;
  readonly #country: CountryCode;
  /** E.164 → user id (undefined: searched, nobody). */
  readonly #known = new Map<string, number | undefined>();
  readonly #pending = new Map<string, Promise<void>>();
  readonly calls = new Map<string, StarfaceCall>();
  readonly #work = new Set<Promise<unknown>>();

  constructor(options: {
    http: ZendeskHttp;
    helpdesk: ZendeskHelpdesk;
    /** Queue member name → the agent's Zendesk email. */
    agentEmails: ReadonlyMap<string, string>;
    defaultUserId: number;
    defaultCountry?: CountryCode;
  }) {
    this.#http = options.http;
    this.#helpdesk = options.helpdesk;
    this.#agentEmails = options.agentEmails;
    this.#defaultUserId = options.defaultUserId;
    this.#country = options.defaultCountry ?? 'DE';
  }

  /** The call came in: search the caller unless known already. */
  queued(callId: string, callerNum: string, now = Date.now()): void {
    const call: StarfaceCall = { callId, queuedAt: now };
    this.calls.set(callId, call);
    const caller = parseCallerNumber(callerNum, this.#country);
    if (caller.kind !== 'number') return;
    const e164 = caller.e164;
    if (this.#known.has(e164)) {
      call.searchReturnedAt = now;
      return;
    }
    let search = this.#pending.get(e164);
    if (!search) {
      search = this.#helpdesk
        .findUsersByPhone(e164)
        .then((users) => {
          const endUsers = users.filter((u) => u.role === 'end-user');
          this.#known.set(e164, endUsers.length === 1 ? endUsers[0]!.id : undefined);
        })
        .catch(() => {})
        .finally(() => this.#pending.delete(e164));
      this.#pending.set(e164, search);
    }
    void search.then(() => {
      call.searchReturnedAt = Date.now();
    });
  }

  /** The agent answered: create the ticket, look the agent up, open the ticket on their screen. */
  answered(callId: string, callerNum: string, memberName: string, now = Date.now()): Promise<void> {
    const call = this.calls.get(callId) ?? { callId, queuedAt: now };
    this.calls.set(callId, call);
    call.answeredAt = now;
    const caller = parseCallerNumber(callerNum, this.#country);
    // Only what the search has returned by now counts: the module does not wait for it.
    const userId = caller.kind === 'number' ? this.#known.get(caller.e164) : undefined;
    call.requester = userId === undefined ? 'default user' : 'caller';
    const work = this.#popSequence(call, userId ?? this.#defaultUserId, memberName).catch(
      (error: unknown) => {
        call.error = (error as Error).message;
      },
    );
    this.#work.add(work);
    void work.finally(() => this.#work.delete(work));
    return work;
  }

  async idle(): Promise<void> {
    while (this.#work.size > 0) await Promise.allSettled([...this.#work]);
  }

  async #popSequence(call: StarfaceCall, requesterId: number, memberName: string): Promise<void> {
    const created = await this.#http.request<{ ticket: { id: number } }>({
      lane: 'pop',
      method: 'POST',
      path: '/api/v2/tickets.json',
      endpoint: 'POST /api/v2/tickets',
      json: {
        ticket: {
          subject: `Call ${call.callId}`,
          comment: { body: 'Incoming call', public: false },
          requester_id: requesterId,
          external_id: `starface:${call.callId}`,
        },
      },
    });
    call.ticketId = created.body.ticket.id;
    const email = this.#agentEmails.get(memberName);
    if (!email) return;
    const found = await this.#http.request<{ users: Array<{ id: number }> }>({
      lane: 'pop',
      method: 'GET',
      path: '/api/v2/users/search.json',
      endpoint: 'GET /api/v2/users/search',
      searchParams: { query: email },
    });
    const agentId = found.body.users[0]?.id;
    if (agentId === undefined) return;
    await this.#http.request({
      lane: 'pop',
      method: 'POST',
      path: `/api/v2/channels/voice/agents/${agentId}/tickets/${call.ticketId}/display.json`,
      endpoint: 'POST /api/v2/channels/voice/agents/{agent_id}/tickets/{ticket_id}/display',
    });
  }
}

/** The STARFACE-style client against a (fake) Zendesk: its own instance of the bridge's client code. */
export function starfaceClient(zendeskUrl: string, defaultUserId: number): StarfaceStyle {
  const logger = silentLogger();
  const http = new ZendeskHttp({
    baseUrl: zendeskUrl,
    auth: apiTokenAuth('admin@example.com', new Secret(TEST_SECRETS.zendeskApiToken, 'bench')),
    logger,
  });
  return new StarfaceStyle({
    http,
    helpdesk: new ZendeskHelpdesk({ http, talkPartnerEdition: true, logger }),
    agentEmails: new Map([['Carla Sales', 'carla.sales@example.com']]),
    defaultUserId,
  });
}
