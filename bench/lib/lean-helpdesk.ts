import type {
  BatchComment,
  CommentOutcome,
  CreatedTicket,
  HelpdeskPort,
  HelpdeskUser,
  NewCallTicket,
  TicketAfterCall,
} from '../../src/calls/ports.ts';

/**
 * An in-process Zendesk for long runs (the memory benchmark): it answers like Zendesk would and
 * keeps nothing per call, so the memory of the process measures the daemon's side only.
 *
 * Who is known follows from the number: `+4930 51…` and `+4930 52…` are end users (their id is
 * the number's last eight digits), everything else is nobody. A call whose id ends in `r` is
 * re-assigned by its agent: the wrap-up comment answers with `reassignTo` as the requester.
 */
export class LeanHelpdesk implements HelpdeskPort {
  readonly counts = {
    searches: 0,
    tickets: 0,
    comments: 0,
    userReads: 0,
    identities: 0,
    createdUsers: 0,
    uploads: 0,
  };
  /** Requester of the newest tickets, by `id % size`: enough for the wrap-ups that follow. */
  readonly #requesters = new Int32Array(8192);
  #nextTicket = 1;
  readonly #reassignTo: number;

  constructor(reassignTo: number) {
    this.#reassignTo = reassignTo;
  }

  async findUsersByPhone(e164: string): Promise<HelpdeskUser[]> {
    this.counts.searches++;
    const m = /^\+4930(5[12]\d{6})$/.exec(e164);
    return m ? [{ id: Number(m[1]), name: `Customer ${m[1]}`, role: 'end-user' }] : [];
  }

  async findCallTicket(): Promise<undefined> {
    return undefined;
  }

  async openCallTicket(ticket: NewCallTicket): Promise<CreatedTicket> {
    this.counts.tickets++;
    const id = this.#nextTicket++;
    this.#requesters[id % this.#requesters.length] = ticket.callId.endsWith('r')
      ? this.#reassignTo
      : ticket.requesterId;
    return { id, popped: ticket.popToAgentId !== undefined };
  }

  async createEndUser(user: { name: string; phone: string }): Promise<HelpdeskUser> {
    this.counts.createdUsers++;
    return { id: 90_000_000 + this.counts.createdUsers, name: user.name, role: 'end-user' };
  }

  async addPrivateComment(ticketId: number): Promise<TicketAfterCall> {
    this.counts.comments++;
    return this.#after(ticketId);
  }

  #after(ticketId: number): TicketAfterCall {
    return { id: ticketId, requesterId: this.#requesters[ticketId % this.#requesters.length]! };
  }

  async addPrivateComments(batch: readonly BatchComment[]): Promise<CommentOutcome[]> {
    const saved = await Promise.all(batch.map((c) => this.addPrivateComment(c.ticketId)));
    return saved.map((t) => ({ ticketId: t.id, saved: true }));
  }

  async ticketsAfterCall(ids: readonly number[]): Promise<TicketAfterCall[]> {
    return ids.map((id) => this.#after(id));
  }

  async uploadFile(): Promise<string> {
    this.counts.uploads++;
    return `upload-${this.counts.uploads}`;
  }

  async getUser(userId: number): Promise<HelpdeskUser & { phones: string[] }> {
    this.counts.userReads++;
    return { id: userId, name: `Customer ${userId}`, role: 'end-user', phones: [] };
  }

  async addPhoneIdentity(): Promise<void> {
    this.counts.identities++;
  }
}
