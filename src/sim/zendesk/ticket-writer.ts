import { type PlannedComment, planComment, planVoiceComment, writeComment } from './comment-writer.ts';
import type { TicketRecord, UserRecord, Via } from './records.ts';
import { Problems, type Reply } from './reply.ts';
import type { ZendeskState } from './state.ts';

export type TicketWrite = { ok: true; ticket: TicketRecord } | { ok: false; reply: Reply };

const STATUSES: readonly TicketRecord['status'][] = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];

/** The channel a ticket came in on: via_id 44/45/46 are Talk's voicemail/inbound/outbound. */
export function viaFor(viaId: number | undefined): Via {
  const rel = viaId === 44 ? 'voicemail' : viaId === 45 ? 'inbound' : viaId === 46 ? 'outbound' : null;
  return { channel: rel ? 'voice' : 'api', source: { from: {}, to: {}, rel } };
}

/**
 * Validates everything first and writes only when all is well, so a 422 leaves no trace.
 * Requester and submitter default to the authenticated user.
 */
export function createTicket(
  state: ZendeskState,
  input: Record<string, unknown>,
  actor: UserRecord,
  via: Via,
  now: number,
): TicketWrite {
  const problems = new Problems();
  checkRefs(state, input, problems);
  const requesterId = (input.requester_id as number | undefined) ?? actor.id;
  const submitterId = (input.submitter_id as number | undefined) ?? actor.id;
  const plans = planComments(state, input, submitterId, now, problems);
  if (plans.length === 0 && !problems.any()) {
    problems.add('description', 'BlankValue', 'Description: cannot be blank');
  }
  if (problems.any()) return { ok: false, reply: problems.reply() };

  const stamp = state.stamp();
  const assigneeId = (input.assignee_id as number | null | undefined) ?? null;
  const subject = typeof input.subject === 'string' ? input.subject : null;
  const ticket: TicketRecord = {
    id: state.nextId('ticket'),
    external_id: stringOrNull(input.external_id),
    via,
    subject,
    raw_subject: subject,
    description: plans[0]?.body ?? '',
    type: typeof input.type === 'string' ? input.type : null,
    priority: typeof input.priority === 'string' ? input.priority : null,
    status: statusOf(input.status) ?? (assigneeId === null ? 'new' : 'open'),
    requester_id: requesterId,
    submitter_id: submitterId,
    assignee_id: assigneeId,
    group_id: (input.group_id as number | null | undefined) ?? null,
    organization_id: null,
    tags: tagsOf(input.tags),
    custom_fields: Array.isArray(input.custom_fields)
      ? (input.custom_fields as TicketRecord['custom_fields'])
      : [],
    is_public: plans[0]?.public ?? true,
    created_at: stamp,
    updated_at: stamp,
  };
  state.putTicket(ticket);
  for (const plan of plans) writeComment(state, ticket.id, plan, via);
  return { ok: true, ticket };
}

/** `PUT /tickets/{id}`: field changes plus an optional comment and/or voice comment appended. */
export function updateTicket(
  state: ZendeskState,
  ticket: TicketRecord,
  input: Record<string, unknown>,
  actor: UserRecord,
  now: number,
): TicketWrite {
  const problems = new Problems();
  // Zendesk keeps closed tickets as they are; the error code is unverified (docs/fake-zendesk.md).
  if (ticket.status === 'closed') problems.add('status', 'Closed', 'Status: closed prevents ticket update');
  checkRefs(state, input, problems);
  const plans = planComments(state, input, actor.id, now, problems);
  if (problems.any()) return { ok: false, reply: problems.reply() };

  if (typeof input.subject === 'string') ticket.subject = ticket.raw_subject = input.subject;
  if ('external_id' in input) ticket.external_id = stringOrNull(input.external_id);
  if (typeof input.requester_id === 'number') ticket.requester_id = input.requester_id;
  if ('assignee_id' in input) ticket.assignee_id = (input.assignee_id as number | null) ?? null;
  if ('group_id' in input) ticket.group_id = (input.group_id as number | null) ?? null;
  if (typeof input.priority === 'string') ticket.priority = input.priority;
  if (typeof input.type === 'string') ticket.type = input.type;
  if (Array.isArray(input.custom_fields))
    ticket.custom_fields = input.custom_fields as TicketRecord['custom_fields'];
  if ('tags' in input) ticket.tags = tagsOf(input.tags);
  const added = tagsOf(input.additional_tags);
  const removed = new Set(tagsOf(input.remove_tags));
  ticket.tags = [...new Set([...ticket.tags, ...added])].filter((t) => !removed.has(t));
  const status = statusOf(input.status);
  if (status) ticket.status = status;
  else if (ticket.status === 'new' && ticket.assignee_id !== null) ticket.status = 'open';
  ticket.updated_at = state.stamp();
  for (const plan of plans) writeComment(state, ticket.id, plan, { ...viaFor(undefined) });
  return { ok: true, ticket };
}

function planComments(
  state: ZendeskState,
  input: Record<string, unknown>,
  authorId: number,
  now: number,
  problems: Problems,
): PlannedComment[] {
  const plans: PlannedComment[] = [];
  const comment = asObject(input.comment);
  const voice = asObject(input.voice_comment);
  if (input.comment !== undefined && !comment)
    problems.add('comment', 'InvalidValue', 'Comment: must be an object');
  if (comment) plans.push(planComment(state, comment, authorId, now, problems));
  if (voice) plans.push(planVoiceComment(state, voice, authorId, problems));
  return plans;
}

function checkRefs(state: ZendeskState, input: Record<string, unknown>, problems: Problems): void {
  for (const field of ['requester_id', 'submitter_id'] as const) {
    if (input[field] !== undefined && !(typeof input[field] === 'number' && state.user(input[field]))) {
      problems.add(field, 'InvalidValue', `${label(field)}: is invalid`);
    }
  }
  const assignee = input.assignee_id;
  if (assignee !== undefined && assignee !== null) {
    const user = typeof assignee === 'number' ? state.user(assignee) : undefined;
    if (!user || user.role === 'end-user')
      problems.add('assignee_id', 'InvalidValue', 'Assignee: is not an agent');
  }
  const group = input.group_id;
  if (group !== undefined && group !== null && !(typeof group === 'number' && state.group(group))) {
    problems.add('group_id', 'InvalidValue', 'Group: is invalid');
  }
  if (input.status !== undefined && !statusOf(input.status)) {
    problems.add('status', 'InvalidValue', `Status: ${String(input.status)} is not valid`);
  }
}

function label(field: string): string {
  return field === 'requester_id' ? 'Requester' : 'Submitter';
}

function statusOf(value: unknown): TicketRecord['status'] | undefined {
  return STATUSES.find((s) => s === value);
}

function tagsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return typeof value === 'string' ? value.split(/\s+/).filter(Boolean) : [];
  return [...new Set(value.filter((t): t is string => typeof t === 'string'))];
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;
}
