import { paginate } from '../pagination.ts';
import { badRequest, json, notFound } from '../reply.ts';
import { commentJson, ticketJson, userJson } from '../serialize.ts';
import { createTicket, updateTicket, viaFor } from '../ticket-writer.ts';
import { type Handler, idOf, objectAt } from '../world.ts';
import { missing } from './users.ts';

/** `POST /tickets` → 201 `{ticket}`. Idempotency-Key is handled around this, in dispatch. */
export const postTicket: Handler = (ctx) => {
  const input = objectAt(ctx.body, 'ticket');
  if (!input) return missing('ticket');
  const via = viaFor(typeof input.via_id === 'number' ? input.via_id : undefined);
  const result = createTicket(ctx.world.state, input, ctx.user!, via, ctx.world.clock.now());
  if (!result.ok) return result.reply;
  return json(201, { ticket: ticketJson(result.ticket, ctx.world.baseUrl()) });
};

export const showTicket: Handler = (ctx) => {
  const ticket = ctx.world.state.ticket(idOf(ctx.params.id) ?? 0);
  return ticket ? json(200, { ticket: ticketJson(ticket, ctx.world.baseUrl()) }) : notFound();
};

/**
 * `GET /tickets/show_many?ids=1,2` (at most 100): unknown ids are left out. `include=users`
 * sideloads the users the tickets name (requester, submitter, assignee) as `users`.
 */
export const showManyTickets: Handler = (ctx) => {
  const raw = (ctx.query.get('ids') ?? '').split(',').filter((id) => id !== '');
  if (raw.length === 0) return badRequest('ParameterMissing', 'The ids parameter is missing');
  if (raw.length > 100) return badRequest('TooManyValues', 'at most 100 ids per request');
  const state = ctx.world.state;
  const base = ctx.world.baseUrl();
  const tickets = raw.flatMap((id) => {
    const ticket = state.ticket(idOf(id) ?? 0);
    return ticket ? [ticket] : [];
  });
  const body: Record<string, unknown> = { tickets: tickets.map((t) => ticketJson(t, base)) };
  const include = (ctx.query.get('include') ?? '').split(',');
  if (include.includes('users')) {
    const ids = new Set(tickets.flatMap((t) => [t.requester_id, t.submitter_id, t.assignee_id]));
    body.users = [...ids].flatMap((id) => {
      const user = id === null ? undefined : state.user(id);
      return user ? [userJson(user, base)] : [];
    });
  }
  return json(200, body);
};

export const putTicket: Handler = (ctx) => {
  const ticket = ctx.world.state.ticket(idOf(ctx.params.id) ?? 0);
  if (!ticket) return notFound();
  const input = objectAt(ctx.body, 'ticket');
  if (!input) return missing('ticket');
  const result = updateTicket(ctx.world.state, ticket, input, ctx.user!, ctx.world.clock.now());
  if (!result.ok) return result.reply;
  return json(200, { ticket: ticketJson(result.ticket, ctx.world.baseUrl()) });
};

/** `GET /tickets?external_id=…` finds the tickets carrying that external id; without it, all. */
export const listTickets: Handler = (ctx) => {
  const externalId = ctx.query.get('external_id');
  const tickets = ctx.world.state
    .tickets()
    .filter((t) => externalId === null || t.external_id === externalId)
    .sort((a, b) => a.id - b.id)
    .map((t) => ticketJson(t, ctx.world.baseUrl()));
  return paginate(tickets, { key: 'tickets', selfUrl: ctx.selfUrl, query: ctx.query });
};

/** `GET /tickets/{id}/comments`, oldest first, attachments expanded. */
export const listComments: Handler = (ctx) => {
  const state = ctx.world.state;
  const ticket = state.ticket(idOf(ctx.params.id) ?? 0);
  if (!ticket) return notFound();
  const comments = state.comments(ticket.id).map((c) => commentJson(c, state, ctx.world.baseUrl()));
  return paginate(comments, { key: 'comments', selfUrl: ctx.selfUrl, query: ctx.query });
};
