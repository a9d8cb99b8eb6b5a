import type { CommentRecord, Via } from './records.ts';
import type { Problems } from './reply.ts';
import type { ZendeskState } from './state.ts';

/** A comment that passed validation and can be written without further checks. */
export interface PlannedComment {
  type: CommentRecord['type'];
  authorId: number;
  body: string;
  public: boolean;
  uploadTokens: string[];
  data: Record<string, unknown> | null;
}

const VOICE_REQUIRED = [
  'from',
  'to',
  'recording_url',
  'started_at',
  'call_duration',
  'answered_by_id',
] as const;

/**
 * Checks `ticket.comment`: a body is required; every upload token must be live and not yet used
 * (an unknown or expired token is a 422, so a lost recording cannot pass unnoticed).
 */
export function planComment(
  state: ZendeskState,
  input: Record<string, unknown>,
  defaultAuthorId: number,
  now: number,
  problems: Problems,
): PlannedComment {
  const body =
    typeof input.body === 'string' ? input.body : typeof input.html_body === 'string' ? input.html_body : '';
  if (body.trim() === '') problems.add('comment', 'BlankValue', 'Comment: body cannot be blank');
  const authorId = input.author_id === undefined ? defaultAuthorId : input.author_id;
  if (typeof authorId !== 'number' || !state.user(authorId)) {
    problems.add('comment', 'InvalidValue', 'Comment: author_id is not a user');
  }
  const uploads = input.uploads === undefined ? [] : input.uploads;
  const tokens = Array.isArray(uploads) ? uploads : [uploads];
  for (const token of tokens) {
    const upload = typeof token === 'string' ? state.upload(token) : undefined;
    if (!upload || upload.expiresAtMs <= now || upload.attachedToCommentId !== null) {
      problems.add('uploads', 'InvalidValue', `Uploads: token ${String(token)} is invalid or expired`);
    }
  }
  return {
    type: 'Comment',
    authorId: authorId as number,
    body,
    public: input.public !== false,
    uploadTokens: tokens.filter((t): t is string => typeof t === 'string'),
    data: null,
  };
}

/**
 * Checks `ticket.voice_comment` (the Tickets API call card): from, to, recording_url (an MP3 or
 * WAV file), started_at, call_duration and answered_by_id are all required.
 */
export function planVoiceComment(
  state: ZendeskState,
  input: Record<string, unknown>,
  authorId: number,
  problems: Problems,
): PlannedComment {
  for (const field of VOICE_REQUIRED) {
    if (input[field] === undefined || input[field] === null || input[field] === '') {
      problems.add('voice_comment', 'BlankValue', `Voice comment: ${field} cannot be blank`);
    }
  }
  const url = typeof input.recording_url === 'string' ? input.recording_url : '';
  if (url && !/\.(mp3|wav)$/i.test(url.split(/[?#]/)[0] ?? '')) {
    problems.add(
      'voice_comment',
      'InvalidValue',
      'Voice comment: recording_url must point to an MP3 or WAV file',
    );
  }
  const answeredBy = typeof input.answered_by_id === 'number' ? state.user(input.answered_by_id) : undefined;
  if (input.answered_by_id !== undefined && (!answeredBy || answeredBy.role === 'end-user')) {
    problems.add('voice_comment', 'InvalidValue', 'Voice comment: answered_by_id is not an agent');
  }
  const lines = [
    `Call from: ${String(input.from)}`,
    `Call to: ${String(input.to)}`,
    `Time of call: ${String(input.started_at)}`,
    `Answered by: ${answeredBy?.name ?? String(input.answered_by_id)}`,
    `Length of phone call: ${String(input.call_duration)} seconds`,
  ];
  if (typeof input.transcription_text === 'string') lines.push(`Transcription: ${input.transcription_text}`);
  return {
    type: 'VoiceComment',
    authorId,
    body: lines.join('\n'),
    public: false,
    uploadTokens: [],
    data: { ...input, answered_by_name: answeredBy?.name ?? null },
  };
}

/** Writes a planned comment and turns its upload tokens into the comment's attachments. */
export function writeComment(
  state: ZendeskState,
  ticketId: number,
  plan: PlannedComment,
  via: Via,
): CommentRecord {
  const id = state.nextId('comment');
  const attachmentIds: number[] = [];
  for (const token of plan.uploadTokens) {
    const upload = state.upload(token);
    if (!upload) continue;
    upload.attachedToCommentId = id;
    attachmentIds.push(...upload.attachment_ids);
  }
  const comment: CommentRecord = {
    id,
    ticket_id: ticketId,
    type: plan.type,
    author_id: plan.authorId,
    body: plan.body,
    public: plan.public,
    attachment_ids: attachmentIds,
    via,
    data: plan.data,
    created_at: state.stamp(),
  };
  state.addComment(comment);
  return comment;
}
