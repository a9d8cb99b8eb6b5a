import { type Clock, isoSeconds } from './clock.ts';
import type {
  AttachmentRecord,
  CommentRecord,
  GroupRecord,
  IdentityRecord,
  TicketRecord,
  UploadRecord,
  UserRecord,
} from './records.ts';

/** Read access for assertions: what the fake Zendesk holds right now. */
export interface ZendeskStateView {
  users(): readonly UserRecord[];
  user(id: number): UserRecord | undefined;
  userByEmail(email: string): UserRecord | undefined;
  identities(userId: number): readonly IdentityRecord[];
  groups(): readonly GroupRecord[];
  group(id: number): GroupRecord | undefined;
  tickets(): readonly TicketRecord[];
  ticket(id: number): TicketRecord | undefined;
  comments(ticketId: number): readonly CommentRecord[];
  uploads(): readonly UploadRecord[];
  attachment(id: number): AttachmentRecord | undefined;
  attachmentByToken(token: string): AttachmentRecord | undefined;
}

type IdKind = 'user' | 'identity' | 'group' | 'ticket' | 'comment' | 'attachment';

/**
 * Each kind counts in its own range, far apart, so a user id sent where a ticket id belongs
 * finds nothing instead of some unrelated record.
 */
const FIRST_ID: Record<IdKind, number> = {
  ticket: 1,
  group: 360_000_001,
  user: 370_000_001,
  identity: 380_000_001,
  comment: 390_000_001,
  attachment: 400_000_001,
};

export interface ZendeskStateOptions {
  clock: Clock;
  /** Called whenever what search can find about a user changed (the index catches up later). */
  onUserChanged: (user: UserRecord) => void;
}

/** The in-memory account. Handlers validate; this only stores and keeps the records consistent. */
export class ZendeskState implements ZendeskStateView {
  readonly #clock: Clock;
  readonly #onUserChanged: (user: UserRecord) => void;
  readonly #next = new Map<IdKind, number>(Object.entries(FIRST_ID) as [IdKind, number][]);
  readonly #users = new Map<number, UserRecord>();
  readonly #identities = new Map<number, IdentityRecord>();
  readonly #groups = new Map<number, GroupRecord>();
  readonly #tickets = new Map<number, TicketRecord>();
  readonly #comments = new Map<number, CommentRecord[]>();
  readonly #uploads = new Map<string, UploadRecord>();
  readonly #attachments = new Map<number, AttachmentRecord>();

  constructor(options: ZendeskStateOptions) {
    this.#clock = options.clock;
    this.#onUserChanged = options.onUserChanged;
  }

  nextId(kind: IdKind): number {
    const id = this.#next.get(kind)!;
    this.#next.set(kind, id + 1);
    return id;
  }

  stamp(): string {
    return isoSeconds(this.#clock.now());
  }

  users = (): UserRecord[] => [...this.#users.values()];
  user = (id: number): UserRecord | undefined => this.#users.get(id);
  userByEmail = (email: string): UserRecord | undefined =>
    this.users().find((u) => u.email !== null && u.email.toLowerCase() === email.toLowerCase());
  identities = (userId: number): IdentityRecord[] =>
    [...this.#identities.values()].filter((i) => i.user_id === userId);
  groups = (): GroupRecord[] => [...this.#groups.values()];
  group = (id: number): GroupRecord | undefined => this.#groups.get(id);
  tickets = (): TicketRecord[] => [...this.#tickets.values()];
  ticket = (id: number): TicketRecord | undefined => this.#tickets.get(id);
  comments = (ticketId: number): CommentRecord[] => [...(this.#comments.get(ticketId) ?? [])];
  uploads = (): UploadRecord[] => [...this.#uploads.values()];
  upload = (token: string): UploadRecord | undefined => this.#uploads.get(token);
  attachment = (id: number): AttachmentRecord | undefined => this.#attachments.get(id);
  attachmentByToken = (token: string): AttachmentRecord | undefined =>
    [...this.#attachments.values()].find((a) => a.token === token);

  putUser(user: UserRecord): void {
    this.#users.set(user.id, user);
    this.#onUserChanged(user);
  }

  /** Adds an identity and keeps `user.phone`/`user.email` pointing at the primary one. */
  putIdentity(identity: IdentityRecord): void {
    if (identity.primary) {
      for (const other of this.identities(identity.user_id)) {
        if (other.type === identity.type && other.id !== identity.id) other.primary = false;
      }
    }
    this.#identities.set(identity.id, identity);
    const user = this.#users.get(identity.user_id);
    if (!user) return;
    if (identity.primary && identity.type === 'phone_number') user.phone = identity.value;
    if (identity.primary && identity.type === 'email') user.email = identity.value;
    user.updated_at = this.stamp();
    this.#onUserChanged(user);
  }

  putGroup(group: GroupRecord): void {
    this.#groups.set(group.id, group);
  }

  putTicket(ticket: TicketRecord): void {
    this.#tickets.set(ticket.id, ticket);
  }

  addComment(comment: CommentRecord): void {
    const list = this.#comments.get(comment.ticket_id) ?? [];
    list.push(comment);
    this.#comments.set(comment.ticket_id, list);
  }

  putUpload(upload: UploadRecord): void {
    this.#uploads.set(upload.token, upload);
  }

  putAttachment(attachment: AttachmentRecord): void {
    this.#attachments.set(attachment.id, attachment);
  }
}
