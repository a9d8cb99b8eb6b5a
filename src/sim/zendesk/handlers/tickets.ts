import { paginate } from '../pagination.ts';
import { json, notFound } from '../reply.ts';
import { commentJson, ticketJson } from '../serialize.ts';
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
