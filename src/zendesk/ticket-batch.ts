import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchComment, CommentOutcome, TicketAfterCall } from '../calls/ports.ts';
import { ZendeskApiError } from './errors.ts';
import { field, hasId, isArray, isId, isObject } from './read-body.ts';
import { toUser } from './to-user.ts';
import type { WireTicket, WireUser } from './wire-types.ts';
import type { ZendeskHttp } from './zendesk-http.ts';

/** update_many and show_many take at most 100 tickets. */
export const MAX_BATCH = 100;

export interface JobPolling {
  /** First wait before reading the job status; doubles up to `maxMs`. */
  firstMs: number;
  maxMs: number;
  /** Give up (outcome unknown) after this long. */
  totalMs: number;
}

/** Zendesk jobs usually finish within seconds; ten minutes means something is wrong. */
export const DEFAULT_JOB_POLLING: JobPolling = { firstMs: 500, maxMs: 10_000, totalMs: 600_000 };

/**
 * Private comments on up to 100 tickets in one `PUT /tickets/update_many` (a background job), then
 * the job status until it has run: one outcome per comment, in order.
 */
export async function addCommentsInOneJob(
  http: ZendeskHttp,
  comments: readonly BatchComment[],
  polling: JobPolling,
): Promise<CommentOutcome[]> {
  if (comments.length > MAX_BATCH) throw new RangeError(`at most ${MAX_BATCH} comments per batch`);
  const endpoint = 'PUT /api/v2/tickets/update_many';
  const { body } = await http.request<unknown>({
    lane: 'background',
    method: 'PUT',
    path: '/api/v2/tickets/update_many.json',
    endpoint,
    json: {
      tickets: comments.map((c) => ({
        id: c.ticketId,
        comment: {
          body: c.body,
          public: false,
          ...(c.uploads && c.uploads.length > 0 ? { uploads: c.uploads } : {}),
        },
      })),
    },
  });
  const job = await waitForJob(http, jobId(field(body, 'job_status', endpoint, isObject), endpoint), polling);
  return outcomesOf(job, comments);
}

/** The tickets as they are now, each with its requester (sideloaded): missing tickets are left out. */
export async function ticketsWithRequesters(
  http: ZendeskHttp,
  ids: readonly number[],
): Promise<TicketAfterCall[]> {
  const endpoint = 'GET /api/v2/tickets/show_many';
  const out: TicketAfterCall[] = [];
  for (let i = 0; i < ids.length; i += MAX_BATCH) {
    const { body } = await http.request<unknown>({
      lane: 'background',
      method: 'GET',
      path: '/api/v2/tickets/show_many.json',
      endpoint,
      searchParams: { ids: ids.slice(i, i + MAX_BATCH).join(','), include: 'users' },
      retries: 2,
    });
    const users = new Map<number, WireUser>();
    const sideloaded = isObject(body) && isArray(body.users) ? body.users : [];
    for (const user of sideloaded) if (hasId<WireUser>(user)) users.set(user.id, user);
    for (const ticket of field(body, 'tickets', endpoint, isArray)) {
      if (!hasId<WireTicket>(ticket) || !isId(ticket.requester_id)) continue;
      const requester = users.get(ticket.requester_id);
      const user = requester ? toUser(requester) : undefined;
      out.push({
        id: ticket.id,
        requesterId: ticket.requester_id,
        ...(user ? { requester: { name: user.name, role: user.role } } : {}),
      });
    }
  }
  return out;
}

interface JobStatus {
  id: string;
  status: string;
  results: unknown;
}

async function waitForJob(http: ZendeskHttp, id: string, polling: JobPolling): Promise<JobStatus> {
  const endpoint = 'GET /api/v2/job_statuses/{id}';
  const started = Date.now();
  let wait = polling.firstMs;
  // Bounded by totalMs: each round waits at least firstMs.
  for (;;) {
    await sleep(wait, undefined, { ref: false });
    const { body } = await http.request<unknown>({
      lane: 'background',
      method: 'GET',
      path: `/api/v2/job_statuses/${encodeURIComponent(id)}.json`,
      endpoint,
      retries: 2,
    });
    const job = field(body, 'job_status', endpoint, isObject);
    const status = typeof job.status === 'string' ? job.status : '';
    // `killed` (stopped by Zendesk) is as final as `failed`: its unreported tickets were not saved.
    if (status === 'completed' || status === 'failed' || status === 'killed')
      return { id, status: status === 'killed' ? 'failed' : status, results: job.results };
    if (Date.now() - started + wait > polling.totalMs) {
      throw new ZendeskApiError({
        endpoint,
        code: 'JobTimeout',
        description: `job ${id} still "${status}" after ${Math.round(polling.totalMs / 1000)} s`,
        retryable: true,
      });
    }
    wait = Math.min(polling.maxMs, wait * 2);
  }
}

function jobId(job: Record<string, unknown>, endpoint: string): string {
  if (typeof job.id === 'string' && /^[A-Za-z0-9_-]{1,100}$/.test(job.id)) return job.id;
  throw new ZendeskApiError({
    endpoint,
    code: 'UnexpectedBody',
    description: 'the job_status has no valid "id"',
    retryable: false,
  });
}

/** Results name their ticket and index; a ticket the job did not report is taken as not saved. */
function outcomesOf(job: JobStatus, comments: readonly BatchComment[]): CommentOutcome[] {
  const results = isArray(job.results) ? job.results.filter(isObject) : [];
  return comments.map((comment, index) => {
    const result =
      results.find((r) => r.index === index && r.id === comment.ticketId) ??
      results.find((r) => r.id === comment.ticketId);
    if (job.status === 'failed' && !result) {
      return { ticketId: comment.ticketId, saved: false, error: 'the job failed' };
    }
    if (!result) return { ticketId: comment.ticketId, saved: false, error: 'not in the job results' };
    if (result.success === true) return { ticketId: comment.ticketId, saved: true };
    const error = [result.error, result.details].filter((s) => typeof s === 'string').join(': ');
    return { ticketId: comment.ticketId, saved: false, error: error || 'refused' };
  });
}
