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

export interface UploadSource {
  /** Absolute local path. */
  path: string;
  /** File name shown on the ticket. */
  name: string;
  contentType: string;
  size: number;
}

export interface TicketAfterCall {
  id: number;
  requesterId: number;
  /** The requester as Zendesk knows it, when the answer carried it (sideloaded). */
  requester?: { name: string; role: HelpdeskUser['role'] };
}

/** One private comment of a batch. */
export interface BatchComment {
  ticketId: number;
  body: string;
  uploads?: readonly string[];
}

/** Whether Zendesk saved one comment of a batch, and if not, why. */
export interface CommentOutcome {
  ticketId: number;
  saved: boolean;
  error?: string;
}

export interface HelpdeskPort {
  /** End users whose phone identities match the number. */
  findUsersByPhone(e164: string): Promise<HelpdeskUser[]>;
  /** The ticket an earlier attempt created for this call (found by its external_id), if any. */
  findCallTicket(callId: string): Promise<{ id: number; requesterId: number } | undefined>;
  /** Create the ticket and, when asked, open it on the agent's screen: as few requests as possible. */
  openCallTicket(ticket: NewCallTicket): Promise<CreatedTicket>;
  createEndUser(user: { name: string; phone: string }): Promise<HelpdeskUser>;
  /**
   * Adds a private comment (with the files of these upload tokens attached) and returns the ticket
   * as it is now (its requester, for the backfill).
   */
  addPrivateComment(ticketId: number, body: string, uploads?: readonly string[]): Promise<TicketAfterCall>;
  /**
   * Private comments on several tickets in one request (Zendesk runs it as a background job):
   * resolves once the job has run, with one outcome per comment in order; rejects when the batch
   * as a whole failed (nothing known to be saved).
   */
  addPrivateComments(comments: readonly BatchComment[]): Promise<CommentOutcome[]>;
  /** The tickets as they are now, with their requesters (for the backfill); unknown ids are left out. */
  ticketsAfterCall(ticketIds: readonly number[]): Promise<TicketAfterCall[]>;
  /** Uploads a file, streamed, and returns the token a comment attaches it with (valid 60 minutes). */
  uploadFile(file: UploadSource): Promise<string>;
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

/** What the facts comment carries about the call's recording. */
export interface RecordingAttachment {
  /** Upload tokens to attach (empty when the file cannot be attached). */
  uploads: string[];
  /** A line for the comment: what is attached, or why not. */
  note: string;
}

/** The recordings part, as the wrap-up sees it (absent when no queue records). */
export interface CallRecordingsPort {
  /** For a recorded call whose file is complete (waits a little for it): the upload to attach. */
  attachmentFor(callId: string): Promise<RecordingAttachment | undefined>;
  /** Whether the comment carrying that attachment was saved; if not, the recordings part retries alone. */
  attachmentSaved(callId: string, saved: boolean): void;
}
