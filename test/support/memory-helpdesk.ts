import type {
  BatchComment,
  CommentOutcome,
  CreatedTicket,
  Directory,
  HelpdeskPort,
  HelpdeskUser,
  NewCallTicket,
  TicketAfterCall,
  UploadSource,
} from '../../src/calls/ports.ts';

/**
 * A lean in-memory Zendesk for long runs (fuzzing, soak): it counts what it is asked and keeps
 * nothing per request, so its own memory stays flat however many calls go through it.
 * (test/calls/call-handler.test.ts has a recording one for exact assertions.)
 */
export class CountingHelpdesk implements HelpdeskPort {
  readonly counts = {
    searches: 0,
    tickets: 0,
    comments: 0,
    createdUsers: 0,
    userReads: 0,
    identities: 0,
    uploads: 0,
  };
  /** E.164 → users with that number (end users only are found by the lookup). */
  readonly #byPhone = new Map<string, HelpdeskUser[]>();
  /** Ticket ids stay small and reused: requester of ticket `id % size`. */
  readonly #requesters = new Map<number, number>();
  #nextUser = 1_000;
  #nextTicket = 1;
  /** Called for every ticket opened (tests count per call id when they need to). */
  onTicket: ((ticket: NewCallTicket, id: number) => void) | undefined;

  readonly defaultUserId: number;

  constructor(defaultUserId = 9) {
    this.defaultUserId = defaultUserId;
  }

  addUser(e164: string, name: string, role: HelpdeskUser['role'] = 'end-user'): HelpdeskUser {
    const user = { id: this.#nextUser++, name, role };
    this.#byPhone.set(e164, [...(this.#byPhone.get(e164) ?? []), user]);
    return user;
  }

  async findUsersByPhone(e164: string): Promise<HelpdeskUser[]> {
    this.counts.searches++;
    return this.#byPhone.get(e164) ?? [];
  }

  /** No ticket is ever found: each call's first try creates it. */
  async findCallTicket(_callId: string): Promise<{ id: number; requesterId: number } | undefined> {
    return undefined;
  }

  async openCallTicket(ticket: NewCallTicket): Promise<CreatedTicket> {
    this.counts.tickets++;
    const id = this.#nextTicket++;
    // Only the newest few tickets are remembered: enough for the wrap-up that follows the call.
    this.#requesters.set(id % 4096, ticket.requesterId);
    this.onTicket?.(ticket, id);
    return { id, popped: ticket.popToAgentId !== undefined };
  }

  async createEndUser(user: { name: string; phone: string }): Promise<HelpdeskUser> {
    this.counts.createdUsers++;
    return { id: this.#nextUser++, name: user.name, role: 'end-user' };
  }

  async addPrivateComment(ticketId: number): Promise<TicketAfterCall> {
    this.counts.comments++;
    return this.#after(ticketId);
  }

  #after(ticketId: number): TicketAfterCall {
    return { id: ticketId, requesterId: this.#requesters.get(ticketId % 4096) ?? this.defaultUserId };
  }

  async addPrivateComments(batch: readonly BatchComment[]): Promise<CommentOutcome[]> {
    const saved = await Promise.all(batch.map((c) => this.addPrivateComment(c.ticketId)));
    return saved.map((t) => ({ ticketId: t.id, saved: true }));
  }

  async ticketsAfterCall(ids: readonly number[]): Promise<TicketAfterCall[]> {
    return ids.map((id) => this.#after(id));
  }

  async uploadFile(_file: UploadSource): Promise<string> {
    this.counts.uploads++;
    return `upload-${this.counts.uploads}`;
  }

  async getUser(userId: number): Promise<HelpdeskUser & { phones: string[] }> {
    this.counts.userReads++;
    return { id: userId, name: `User ${userId}`, role: 'end-user', phones: [] };
  }

  async addPhoneIdentity(): Promise<void> {
    this.counts.identities++;
  }
}

/** Agents 101 and 102, queues support and sales; everyone else unmapped. */
export function constantDirectory(defaultUserId = 9): Directory {
  const agents = new Map([
    ['101', 2],
    ['102', 3],
  ]);
  const groups = new Map([
    ['support', 11],
    ['sales', 12],
  ]);
  return {
    agentFor: (member) => agents.get(member.extension ?? ''),
    groupFor: (queue) => groups.get(queue),
    defaultUserId: () => defaultUserId,
    isProtectedUser: (id) => id === defaultUserId || id === 2 || id === 3,
  };
}
