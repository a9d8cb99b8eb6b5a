import { createReadStream } from 'node:fs';
import { searchDigits } from '../calls/caller-number.ts';
import type {
  BatchComment,
  CommentOutcome,
  CreatedTicket,
  HelpdeskPort,
  HelpdeskUser,
  NewCallTicket,
  TicketAfterCall,
  UploadSource,
} from '../calls/ports.ts';
import type { Logger } from '../log/logger.ts';
import { ZendeskApiError } from './errors.ts';
import { field, hasId, isArray, isId, isObject } from './read-body.ts';
import {
  addCommentsInOneJob,
  DEFAULT_JOB_POLLING,
  type JobPolling,
  ticketsWithRequesters,
} from './ticket-batch.ts';
import { toUser } from './to-user.ts';
import type { WireIdentity, WireTicket, WireUser } from './wire-types.ts';
import type { ZendeskHttp } from './zendesk-http.ts';

export interface ZendeskHelpdeskOptions {
  http: ZendeskHttp;
  /** The account has Talk Partner Edition: create and pop in one request. */
  talkPartnerEdition: boolean;
  logger: Logger;
  /** How often a batch's job status is read (tests shorten it). */
  jobPolling?: JobPolling;
}

/** Via id of an inbound phone call (Talk Partner Edition). */
const VIA_INBOUND_CALL = 45;
/** Slowest upload we wait for: 50 MB in about 4 minutes. */
const UPLOAD_MIN_BYTES_PER_MS = 200;
/** A pop is only worth retrying while the agent is still likely on the call. */
const POP_RETRIES = 2;
/**
 * What findUsersByPhone searches: a whole number as parseCallerNumber gives it (up to 17 digits:
 * German numbers may be longer than E.164's 15). The search matches by suffix, so `''`
 * (`phone:*`) would find every user with a phone and `+123` every number ending in 123.
 */
const E164 = /^\+[1-9]\d{4,16}$/;

/** HelpdeskPort over Zendesk's REST API: the only place that knows these URLs and bodies. */
export class ZendeskHelpdesk implements HelpdeskPort {
  readonly #http: ZendeskHttp;
  readonly #tpe: boolean;
  readonly #log: Logger;
  readonly #jobPolling: JobPolling;

  constructor(options: ZendeskHelpdeskOptions) {
    this.#http = options.http;
    this.#jobPolling = options.jobPolling ?? DEFAULT_JOB_POLLING;
    this.#tpe = options.talkPartnerEdition;
    this.#log = options.logger.child('zendesk');
  }

  async findUsersByPhone(e164: string): Promise<HelpdeskUser[]> {
    if (!E164.test(e164)) return [];
    const endpoint = 'GET /api/v2/search';
    const { body } = await this.#http.request<unknown>({
      lane: 'lookup',
      method: 'GET',
      path: '/api/v2/search.json',
      endpoint,
      // Digits only behind a leading `*`: matches every stored format; a literal `+` finds nothing.
      searchParams: { query: `role:end-user phone:*${searchDigits(e164)}` },
      retries: 1,
    });
    return field(body, 'results', endpoint, isArray)
      .filter(
        (r): r is WireUser & { result_type: string } =>
          hasId(r) && (r as { result_type?: unknown }).result_type === 'user',
      )
      .map(toUser);
  }

  async findCallTicket(callId: string): Promise<{ id: number; requesterId: number } | undefined> {
    const endpoint = 'GET /api/v2/tickets';
    const { body } = await this.#http.request<unknown>({
      lane: 'pop',
      method: 'GET',
      path: '/api/v2/tickets.json',
      endpoint,
      searchParams: { external_id: externalId(callId) },
      retries: 1,
    });
    const ticket = field(body, 'tickets', endpoint, isArray).find(hasId<WireTicket>);
    if (!ticket) return undefined;
    if (!isId(ticket.requester_id)) {
      throw new ZendeskApiError({
        endpoint,
        code: 'UnexpectedBody',
        description: 'the ticket found has no valid "requester_id"',
        retryable: false,
      });
    }
    return { id: ticket.id, requesterId: ticket.requester_id };
  }

  async openCallTicket(ticket: NewCallTicket): Promise<CreatedTicket> {
    if (this.#tpe) return this.#createVoiceTicket(ticket);
    const id = await this.#createTicket(ticket);
    const popped = ticket.popToAgentId !== undefined && (await this.#display(ticket.popToAgentId, id));
    return { id, popped };
  }

  async createEndUser(user: { name: string; phone: string }): Promise<HelpdeskUser> {
    const endpoint = 'POST /api/v2/users';
    const { body } = await this.#http.request<unknown>({
      lane: 'pop',
      method: 'POST',
      path: '/api/v2/users.json',
      endpoint,
      json: { user: { name: user.name, phone: user.phone, role: 'end-user' } },
    });
    return toUser(field(body, 'user', endpoint, hasId<WireUser>));
  }

  async addPrivateComment(
    ticketId: number,
    text: string,
    uploads: readonly string[] = [],
  ): Promise<TicketAfterCall> {
    const endpoint = 'PUT /api/v2/tickets/{id}';
    const comment = { body: text, public: false, ...(uploads.length > 0 ? { uploads } : {}) };
    const { body } = await this.#http.request<unknown>({
      lane: 'background',
      method: 'PUT',
      path: `/api/v2/tickets/${ticketId}.json`,
      endpoint,
      json: { ticket: { comment } },
    });
    const ticket = field(body, 'ticket', endpoint, isTicket);
    return { id: ticket.id, requesterId: ticket.requester_id };
  }

  addPrivateComments(comments: readonly BatchComment[]): Promise<CommentOutcome[]> {
    return addCommentsInOneJob(this.#http, comments, this.#jobPolling);
  }

  ticketsAfterCall(ticketIds: readonly number[]): Promise<TicketAfterCall[]> {
    return ticketsWithRequesters(this.#http, ticketIds);
  }

  async uploadFile(file: UploadSource): Promise<string> {
    const endpoint = 'POST /api/v2/uploads';
    const { body } = await this.#http.request<unknown>({
      // Behind pops and lookups: a long upload never holds a slot a pop needs.
      lane: 'background',
      method: 'POST',
      path: '/api/v2/uploads.json',
      endpoint,
      searchParams: { filename: file.name },
      contentType: file.contentType,
      contentLength: file.size,
      body: () => createReadStream(file.path),
      // A repeated upload only leaves an unused token behind, which Zendesk deletes after 60 minutes.
      retries: 2,
      timeoutMs: Math.max(60_000, Math.ceil(file.size / UPLOAD_MIN_BYTES_PER_MS)),
    });
    const upload = field(body, 'upload', endpoint, isObject);
    if (typeof upload.token !== 'string' || upload.token === '') {
      throw new ZendeskApiError({
        endpoint,
        code: 'MissingToken',
        description: 'the answer carries no upload token',
        retryable: false,
      });
    }
    return upload.token;
  }

  async getUser(userId: number): Promise<HelpdeskUser & { phones: string[] }> {
    const endpoint = 'GET /api/v2/users/{id}';
    const { body } = await this.#http.request<unknown>({
      lane: 'background',
      method: 'GET',
      path: `/api/v2/users/${userId}.json`,
      endpoint,
      retries: 2,
    });
    const user = toUser(field(body, 'user', endpoint, hasId<WireUser>));
    return { ...user, phones: await this.#phones(userId) };
  }

  async addPhoneIdentity(userId: number, e164: string): Promise<void> {
    try {
      await this.#http.request<unknown>({
        lane: 'background',
        method: 'POST',
        path: `/api/v2/users/${userId}/identities.json`,
        endpoint: 'POST /api/v2/users/{id}/identities',
        json: { identity: { type: 'phone_number', value: e164 } },
      });
    } catch (error) {
      // Someone (or an earlier try) added it meanwhile: the goal is reached.
      if (
        error instanceof ZendeskApiError &&
        error.status === 422 &&
        // a 422 may come without details: JSON.stringify(undefined) is undefined
        String(JSON.stringify(error.details)).includes('DuplicateValue')
      )
        return;
      throw error;
    }
  }

  async #phones(userId: number): Promise<string[]> {
    const endpoint = 'GET /api/v2/users/{id}/identities';
    const { body } = await this.#http.request<unknown>({
      lane: 'background',
      method: 'GET',
      path: `/api/v2/users/${userId}/identities.json`,
      endpoint,
      retries: 2,
    });
    return field(body, 'identities', endpoint, isArray)
      .filter(
        (i): i is WireIdentity => isObject(i) && i.type === 'phone_number' && typeof i.value === 'string',
      )
      .map((i) => i.value);
  }

  async #createVoiceTicket(ticket: NewCallTicket): Promise<CreatedTicket> {
    const endpoint = 'POST /api/v2/channels/voice/tickets';
    // One key for every create of this call, with or without the pop: a late replay (no pop) and
    // a create still in flight from before a restart can never both make a ticket — the second to
    // land is refused (key reused with another body) and the retry finds the first by external_id.
    // Only the fallback after a refused pop has its own key: the refusal (422) is not remembered.
    const request = (displayTo: number | undefined, idempotencyKey = ticket.idempotencyKey) =>
      this.#http.request<unknown>({
        lane: 'pop',
        method: 'POST',
        path: '/api/v2/channels/voice/tickets.json',
        endpoint,
        idempotencyKey,
        json: {
          ticket: { ...ticketFields(ticket), via_id: VIA_INBOUND_CALL },
          ...(displayTo ? { display_to_agent: displayTo } : {}),
        },
        retries: POP_RETRIES,
      });
    try {
      const { body } = await request(ticket.popToAgentId);
      return {
        id: field(body, 'ticket', endpoint, hasId<WireTicket>).id,
        popped: ticket.popToAgentId !== undefined,
      };
    } catch (error) {
      // 422 on display_to_agent is checked before the ticket is made: create it without the pop.
      if (!(error instanceof ZendeskApiError && error.status === 422 && ticket.popToAgentId !== undefined))
        throw error;
      this.#log.warn('Zendesk refused to pop the ticket for this agent; creating it without the pop', {
        callId: ticket.callId,
        agentId: ticket.popToAgentId,
        err: error.message,
      });
      const { body } = await request(undefined, `${ticket.idempotencyKey}-nopop`);
      return { id: field(body, 'ticket', endpoint, hasId<WireTicket>).id, popped: false };
    }
  }

  async #createTicket(ticket: NewCallTicket): Promise<number> {
    const endpoint = 'POST /api/v2/tickets';
    const { body } = await this.#http.request<unknown>({
      lane: 'pop',
      method: 'POST',
      path: '/api/v2/tickets.json',
      endpoint,
      idempotencyKey: ticket.idempotencyKey,
      json: { ticket: ticketFields(ticket) },
      retries: POP_RETRIES,
    });
    return field(body, 'ticket', endpoint, hasId<WireTicket>).id;
  }

  async #display(agentId: number, ticketId: number): Promise<boolean> {
    try {
      await this.#http.request<unknown>({
        lane: 'pop',
        method: 'POST',
        path: `/api/v2/channels/voice/agents/${agentId}/tickets/${ticketId}/display.json`,
        endpoint: 'POST /api/v2/channels/voice/agents/{agent_id}/tickets/{ticket_id}/display',
        retries: 1,
      });
      return true;
    } catch (error) {
      this.#log.warn('ticket created but not opened on the agent screen', { agentId, ticketId, err: error });
      return false;
    }
  }
}

/** The call id on the ticket: how a retry finds the ticket after Zendesk forgot the Idempotency-Key. */
function externalId(callId: string): string {
  return `cti-bridge:${callId}`;
}

/** A ticket the backfill can use: its requester is a user id, not whatever the body holds. */
function isTicket(value: unknown): value is WireTicket {
  return hasId(value) && isId((value as { requester_id?: unknown }).requester_id);
}

function ticketFields(ticket: NewCallTicket): Record<string, unknown> {
  return {
    subject: ticket.subject,
    comment: { body: ticket.comment, public: false },
    requester_id: ticket.requesterId,
    submitter_id: ticket.assigneeId ?? ticket.requesterId,
    ...(ticket.assigneeId === undefined ? {} : { assignee_id: ticket.assigneeId }),
    ...(ticket.groupId === undefined ? {} : { group_id: ticket.groupId }),
    tags: ticket.tags,
    external_id: externalId(ticket.callId),
  };
}
