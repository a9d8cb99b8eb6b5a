/** What the call domain needs from Zendesk, in its own words. The zendesk/ adapter implements it. */

export interface HelpdeskUser {
  id: number;
  name: string;
  role: 'end-user' | 'agent' | 'admin';
  email?: string | null;
  phone?: string | null;
}

export interface NewCallTicket {
  /** The call id; also the ticket's external_id so a retry after an ambiguous failure can find it. */
  callId: string;
  /** Derived from the call id: a retried create never makes a second ticket. */
  idempotencyKey: string;
  requesterId: number;
  groupId: number | undefined;
  assigneeId: number | undefined;
  subject: string;
  comment: string;
  tags: string[];
  /** Open the ticket in this agent's browser. */
  popToAgentId: number | undefined;
  /** For the voice channel's call card. */
  call: { from: string; queue: string; startedAt: number };
}

export interface CreatedTicket {
  id: number;
  /** The ticket was opened on the agent's screen. */
  popped: boolean;
}

export interface TicketAfterCall {
  id: number;
  requesterId: number;
}

export interface HelpdeskPort {
  /** End users whose phone identities match the number. */
  findUsersByPhone(e164: string): Promise<HelpdeskUser[]>;
  /** Create the ticket and, when asked, open it on the agent's screen: as few requests as possible. */
  openCallTicket(ticket: NewCallTicket): Promise<CreatedTicket>;
  createEndUser(user: { name: string; phone: string }): Promise<HelpdeskUser>;
  /** Adds a private comment and returns the ticket as it is now (its requester, for the backfill). */
  addPrivateComment(ticketId: number, body: string): Promise<TicketAfterCall>;
  getUser(userId: number): Promise<HelpdeskUser & { phones: string[] }>;
  addPhoneIdentity(userId: number, e164: string): Promise<void>;
}

/** Who is who, as the start-up sync matched it. */
export interface Directory {
  /** Zendesk agent id for a queue member, or undefined when the member is not mapped. */
  agentFor(member: { extension: string | undefined; interface: string; name: string }): number | undefined;
  /** Zendesk group id for a PBX queue. */
  groupFor(queue: string): number | undefined;
  /** The default user (unknown callers, strategy defaultUser). */
  defaultUserId(): number | undefined;
  /** Users no number may ever be added to: agents, admins, the default user. */
  isProtectedUser(userId: number): boolean;
}
