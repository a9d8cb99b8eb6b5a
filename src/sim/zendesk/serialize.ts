import { isoSeconds } from './clock.ts';
import type {
  AttachmentRecord,
  CommentRecord,
  GroupRecord,
  IdentityRecord,
  TicketRecord,
  UploadRecord,
  UserRecord,
} from './records.ts';
import type { ZendeskStateView } from './state.ts';

/** A record as written out: always has its id. */
export type JsonRecord = { id: number } & Record<string, unknown>;

/** Records as Zendesk writes them: with their `url`, attachments expanded. */
export function userJson(user: UserRecord, base: string): JsonRecord {
  return { ...user, url: `${base}/api/v2/users/${user.id}.json` };
}

export function identityJson(identity: IdentityRecord, base: string): JsonRecord {
  return { ...identity, url: `${base}/api/v2/users/${identity.user_id}/identities/${identity.id}.json` };
}

export function groupJson(group: GroupRecord, base: string): JsonRecord {
  return { ...group, url: `${base}/api/v2/groups/${group.id}.json` };
}

export function ticketJson(ticket: TicketRecord, base: string): JsonRecord {
  return { ...ticket, url: `${base}/api/v2/tickets/${ticket.id}.json` };
}

export function attachmentJson(attachment: AttachmentRecord, base: string): JsonRecord {
  const { data: _bytes, token, ...rest } = attachment;
  const contentUrl = `${base}/attachments/token/${token}/?name=${encodeURIComponent(attachment.file_name)}`;
  return {
    ...rest,
    url: `${base}/api/v2/attachments/${attachment.id}.json`,
    content_url: contentUrl,
    mapped_content_url: contentUrl,
    width: null,
    height: null,
    inline: false,
    deleted: false,
    malware_access_override: false,
    malware_scan_result: 'malware_not_found',
    thumbnails: [],
  };
}

export function commentJson(comment: CommentRecord, state: ZendeskStateView, base: string): JsonRecord {
  const { attachment_ids, data, ticket_id: _ticket, ...rest } = comment;
  const attachments = attachment_ids
    .map((id) => state.attachment(id))
    .filter((a): a is AttachmentRecord => a !== undefined)
    .map((a) => attachmentJson(a, base));
  return {
    ...rest,
    html_body: `<div class="zd-comment"><p>${escapeHtml(comment.body)}</p></div>`,
    plain_body: comment.body,
    attachments,
    metadata: { system: {}, custom: {} },
    ...(data ? { data } : {}),
  };
}

export function uploadJson(
  upload: UploadRecord,
  state: ZendeskStateView,
  base: string,
): Record<string, unknown> {
  const attachments = upload.attachment_ids
    .map((id) => state.attachment(id))
    .filter((a): a is AttachmentRecord => a !== undefined)
    .map((a) => attachmentJson(a, base));
  return {
    token: upload.token,
    expires_at: isoSeconds(upload.expiresAtMs),
    attachments,
    attachment: attachments[attachments.length - 1] ?? null,
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' }[c]};`);
}
