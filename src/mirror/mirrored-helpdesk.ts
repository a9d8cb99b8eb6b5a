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
import type { PhoneMirror } from './phone-mirror.ts';

/**
 * The helpdesk as the call handler sees it when the profile mirrors the phone directory: the
 * backfill's `getUser` (GET user + GET identities) is answered from the mirror while it answers,
 * so adding a re-assigned caller's number costs only the POST (which takes a number the user has
 * already, 422 DuplicateValue, as done). Everything else goes to Zendesk unchanged.
 */
export class MirroredHelpdesk implements HelpdeskPort {
  readonly #zendesk: HelpdeskPort;
  readonly #mirror: Pick<PhoneMirror, 'userFor'>;

  constructor(zendesk: HelpdeskPort, mirror: Pick<PhoneMirror, 'userFor'>) {
    this.#zendesk = zendesk;
    this.#mirror = mirror;
  }

  async getUser(userId: number): Promise<HelpdeskUser & { phones: string[] }> {
    return this.#mirror.userFor(userId) ?? (await this.#zendesk.getUser(userId));
  }

  findUsersByPhone(e164: string): Promise<HelpdeskUser[]> {
    return this.#zendesk.findUsersByPhone(e164);
  }

  findCallTicket(callId: string): Promise<{ id: number; requesterId: number } | undefined> {
    return this.#zendesk.findCallTicket(callId);
  }

  openCallTicket(ticket: NewCallTicket): Promise<CreatedTicket> {
    return this.#zendesk.openCallTicket(ticket);
  }

  createEndUser(user: { name: string; phone: string }): Promise<HelpdeskUser> {
    return this.#zendesk.createEndUser(user);
  }

  addPrivateComment(ticketId: number, body: string, uploads?: readonly string[]): Promise<TicketAfterCall> {
    return this.#zendesk.addPrivateComment(ticketId, body, uploads);
  }

  addPrivateComments(comments: readonly BatchComment[]): Promise<CommentOutcome[]> {
    return this.#zendesk.addPrivateComments(comments);
  }

  ticketsAfterCall(ticketIds: readonly number[]): Promise<TicketAfterCall[]> {
    return this.#zendesk.ticketsAfterCall(ticketIds);
  }

  uploadFile(file: UploadSource): Promise<string> {
    return this.#zendesk.uploadFile(file);
  }

  addPhoneIdentity(userId: number, e164: string): Promise<void> {
    return this.#zendesk.addPhoneIdentity(userId, e164);
  }
}
