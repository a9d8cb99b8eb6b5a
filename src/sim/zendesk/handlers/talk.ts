import { json, notFound, Problems, type Reply } from '../reply.ts';
import { ticketJson } from '../serialize.ts';
import { createTicket, viaFor } from '../ticket-writer.ts';
import { type Handler, type HandlerContext, idOf, objectAt } from '../world.ts';
import { missing } from './users.ts';

const VOICE_VIA_IDS = [44, 45, 46];

/** `POST /channels/voice/agents/{agent_id}/tickets/{ticket_id}/display` → 200, empty body. */
export const displayTicket: Handler = (ctx) => {
  const agentId = agentIdOf(ctx, ctx.params.agent_id);
  const ticket = ctx.world.state.ticket(idOf(ctx.params.ticket_id) ?? 0);
  if (agentId === null || !ticket) return notFound();
  return pop(ctx, agentId, 'ticket', ticket.id);
};

/** `POST /channels/voice/agents/{agent_id}/users/{user_id}/display` → 200, empty body. */
export const displayUser: Handler = (ctx) => {
  const agentId = agentIdOf(ctx, ctx.params.agent_id);
  const user = ctx.world.state.user(idOf(ctx.params.user_id) ?? 0);
  if (agentId === null || !user) return notFound();
  return pop(ctx, agentId, 'user', user.id);
};

/**
 * `POST /channels/voice/tickets` `{ticket:{…, via_id, voice_comment?}, display_to_agent?}` →
 * 201 `{ticket}`. An invalid display_to_agent is refused before any ticket exists.
 */
export const postVoiceTicket: Handler = (ctx) => {
  const body = (ctx.body ?? {}) as Record<string, unknown>;
  const wanted = body.display_to_agent;
  const agentId = wanted === undefined || wanted === null ? null : agentIdOf(ctx, wanted);
  if (wanted !== undefined && wanted !== null && agentId === null) {
    return invalid('display_to_agent', `Display to agent: ${String(wanted)} is not an agent`);
  }
  const input = objectAt(body, 'ticket');
  if (!input) return missing('ticket');
  const viaId = input.via_id ?? 45;
  if (typeof viaId !== 'number' || !VOICE_VIA_IDS.includes(viaId)) {
    return invalid('via_id', `Via: ${String(viaId)} is not one of 44, 45, 46`);
  }
  const result = createTicket(ctx.world.state, input, ctx.user!, viaFor(viaId), ctx.world.clock.now());
  if (!result.ok) return result.reply;
  if (agentId !== null) recordPop(ctx, agentId, 'ticket', result.ticket.id, 'voice_ticket');
  return json(201, { ticket: ticketJson(result.ticket, ctx.world.baseUrl()) });
};

/** Only agents and admins have a screen to pop on. */
function agentIdOf(ctx: HandlerContext, value: unknown): number | null {
  const user = ctx.world.state.user(idOf(value) ?? 0);
  return user && user.role !== 'end-user' ? user.id : null;
}

function pop(ctx: HandlerContext, agentId: number, kind: 'ticket' | 'user', id: number): Reply {
  recordPop(ctx, agentId, kind, id, 'display');
  return { status: 200 };
}

function recordPop(
  ctx: HandlerContext,
  agentId: number,
  kind: 'ticket' | 'user',
  id: number,
  via: 'display' | 'voice_ticket',
): void {
  ctx.world.pops.push({ at: ctx.world.clock.now(), agentId, kind, id, via });
}

function invalid(field: string, description: string): Reply {
  const problems = new Problems();
  problems.add(field, 'InvalidValue', description);
  return problems.reply();
}
