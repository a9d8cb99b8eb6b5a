import type { ZendeskResult } from '../zendesk/zendesk-http.ts';

/** The end of one Zendesk request, as readiness and `cti-bridge status` report it. */
export interface ZendeskOutcome {
  endpoint: string;
  /** HTTP status, or the network error code (`ETIMEDOUT`) when no answer came. */
  status: number | string;
  ok: boolean;
  /** Epoch ms. */
  at: number;
}

/**
 * Whether an answer means Zendesk works for the bridge. A 404 (no such ticket) or a 422 is an
 * answer about the request, not about Zendesk; no answer, a 5xx, a 429 or refused credentials
 * (401/403) mean pops and tickets would fail now.
 */
function zendeskAnswered(result: Pick<ZendeskResult, 'status'>): boolean {
  const status = result.status;
  if (status === undefined) return false;
  return status < 500 && status !== 401 && status !== 403 && status !== 429;
}

/** The HTTP status, else the network error code: how metrics and status name a request's end. */
export function statusLabel(result: Pick<ZendeskResult, 'status' | 'errorCode'>): number | string {
  return result.status ?? result.errorCode ?? 'no answer';
}

/** The last Zendesk request and the last one that failed: the `zendesk` readiness check. */
export class ZendeskHealth {
  readonly #now: () => number;
  #last: ZendeskOutcome | undefined;
  #lastFailure: ZendeskOutcome | undefined;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  record(result: ZendeskResult): void {
    const outcome: ZendeskOutcome = {
      endpoint: result.endpoint,
      status: statusLabel(result),
      ok: zendeskAnswered(result),
      at: this.#now(),
    };
    this.#last = outcome;
    if (!outcome.ok) this.#lastFailure = outcome;
  }

  get last(): ZendeskOutcome | undefined {
    return this.#last;
  }

  get lastFailure(): ZendeskOutcome | undefined {
    return this.#lastFailure;
  }
}
