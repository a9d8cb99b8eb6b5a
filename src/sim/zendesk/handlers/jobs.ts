import { type JobResult, jobStatusJson } from '../jobs.ts';
import { badRequest, json, notFound, type Reply } from '../reply.ts';
import { updateTicket } from '../ticket-writer.ts';
import { type Handler, idOf } from '../world.ts';

/** update_many and show_many take at most 100 tickets or ids. */
const MAX_BATCH = 100;

/**
 * `PUT /tickets/update_many` as a batch update: `{"tickets":[{id, …changes}]}`, each ticket with
 * its own changes (the bulk form, `?ids=` with one `ticket`, is not needed by the bridge and is
 * refused). Answers 200 with a queued job_status; the changes land when the job runs.
 */
export const putUpdateMany: Handler = (ctx) => {
  if (ctx.query.has('ids')) {
    return badRequest('InvalidParameter', 'this fake supports only the batch form (a "tickets" array)');
  }
  const tickets = (ctx.body as { tickets?: unknown } | undefined)?.tickets;
  if (!Array.isArray(tickets) || tickets.length === 0) {
    return badRequest('ParameterMissing', 'The tickets parameter is missing or empty');
  }
  if (tickets.length > MAX_BATCH) {
    return badRequest('TooManyValues', `at most ${MAX_BATCH} tickets per request`);
  }
  const inputs = tickets.map((t) =>
    t !== null && typeof t === 'object' && !Array.isArray(t) ? (t as Record<string, unknown>) : {},
  );
  const actor = ctx.user!;
  const { state, clock } = ctx.world;
  const job = ctx.world.jobs.submit('bulk_update', inputs.length, () =>
    inputs.map((input, index): JobResult => {
      const id = idOf(input.id);
      const ticket = id === null ? undefined : state.ticket(id);
      if (!ticket) {
        return {
          id: id ?? 0,
          index,
          action: 'update',
          success: false,
          error: 'TicketNotFound',
          details: 'Ticket not found',
        };
      }
      const { id: _id, ...changes } = input;
      const result = updateTicket(state, ticket, changes, actor, clock.now());
      if (result.ok) return { id: ticket.id, index, action: 'update', success: true, status: 'Updated' };
      return {
        id: ticket.id,
        index,
        action: 'update',
        success: false,
        error: 'RecordInvalid',
        details: detailsOf(result.reply),
      };
    }),
  );
  return json(200, { job_status: jobStatusJson(job, ctx.world.baseUrl()) });
};

// Jobs due by now have run: dispatch settles them before every request.
export const showJobStatus: Handler = (ctx) => {
  const job = ctx.world.jobs.get(ctx.params.id ?? '');
  return job ? json(200, { job_status: jobStatusJson(job, ctx.world.baseUrl()) }) : notFound();
};

/** `GET /job_statuses/show_many?ids=a,b`: unknown ids are left out. */
export const showManyJobStatuses: Handler = (ctx) => {
  const ids = (ctx.query.get('ids') ?? '').split(',').filter((id) => id !== '');
  if (ids.length === 0) return badRequest('ParameterMissing', 'The ids parameter is missing');
  if (ids.length > MAX_BATCH) return badRequest('TooManyValues', `at most ${MAX_BATCH} ids per request`);
  const jobs = ids.flatMap((id) => {
    const job = ctx.world.jobs.get(id);
    return job ? [jobStatusJson(job, ctx.world.baseUrl())] : [];
  });
  return json(200, { job_statuses: jobs });
};

function detailsOf(reply: Reply): string {
  const body = reply.body as { description?: unknown; details?: unknown } | undefined;
  return JSON.stringify(body?.details ?? body?.description ?? reply.status);
}
