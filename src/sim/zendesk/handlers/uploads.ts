import { randomBytes } from 'node:crypto';
import type { AttachmentRecord, UploadRecord } from '../records.ts';
import { badRequest, json, notFound, type Reply } from '../reply.ts';
import { attachmentJson, uploadJson } from '../serialize.ts';
import { type Handler, idOf } from '../world.ts';

/**
 * `POST /uploads?filename=…[&token=…]` with the file's bytes as the body. A token adds the file
 * to an existing, still valid upload. Over the size limit: 413 (the status is unverified).
 */
export const postUpload: Handler = (ctx) => {
  const { state, clock } = ctx.world;
  const fileName = ctx.query.get('filename');
  if (!fileName) return badRequest('ParameterMissing', 'The filename parameter is required');
  if (ctx.bodyTooLarge) return tooLarge(ctx.world.maxUploadBytes);
  const now = clock.now();
  const tokenParam = ctx.query.get('token');
  let upload: UploadRecord | undefined;
  if (tokenParam !== null) {
    upload = state.upload(tokenParam);
    if (!upload || upload.expiresAtMs <= now || upload.attachedToCommentId !== null) return notFound();
  } else {
    upload = {
      token: newToken(),
      attachment_ids: [],
      createdAtMs: now,
      expiresAtMs: now + ctx.world.uploadTokenTtlMs,
      attachedToCommentId: null,
    };
    state.putUpload(upload);
  }
  const attachment: AttachmentRecord = {
    id: state.nextId('attachment'),
    token: newToken(),
    file_name: fileName,
    content_type: ctx.headers['content-type'] ?? 'application/binary',
    size: ctx.raw.length,
    data: ctx.raw,
    created_at: state.stamp(),
  };
  state.putAttachment(attachment);
  upload.attachment_ids.push(attachment.id);
  return json(201, { upload: uploadJson(upload, state, ctx.world.baseUrl()) });
};

export const showAttachment: Handler = (ctx) => {
  const attachment = ctx.world.state.attachment(idOf(ctx.params.id) ?? 0);
  return attachment ? json(200, { attachment: attachmentJson(attachment, ctx.world.baseUrl()) }) : notFound();
};

/** The `content_url` of an attachment: its bytes, with the type it was uploaded with. */
export const downloadAttachment: Handler = (ctx) => {
  const attachment = ctx.world.state.attachmentByToken(ctx.params.token ?? '');
  if (!attachment) return notFound();
  return { status: 200, raw: { data: attachment.data, contentType: attachment.content_type } };
};

function tooLarge(limit: number): Reply {
  return json(413, {
    error: 'RecordInvalid',
    description: `File is larger than the maximum upload size of ${Math.floor(limit / (1024 * 1024))} MB`,
  });
}

function newToken(): string {
  return randomBytes(12).toString('base64url');
}
