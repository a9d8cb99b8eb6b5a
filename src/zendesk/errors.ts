/** A Zendesk request that failed, with what the caller needs to decide: retry or give up. */
export class ZendeskApiError extends Error {
  readonly status: number | undefined;
  /** Zendesk's `error` code (`RecordNotFound`, `RecordInvalid`, …) or a transport code (`ETIMEDOUT`). */
  readonly code: string;
  readonly retryable: boolean;
  readonly endpoint: string;
  /** Zendesk's `details` for 422s, e.g. `{ phone: [{ error: 'InvalidFormat', … }] }`. */
  readonly details: unknown;

  constructor(init: {
    endpoint: string;
    status?: number | undefined;
    code: string;
    description: string;
    retryable: boolean;
    details?: unknown;
    cause?: unknown;
  }) {
    super(
      `${init.endpoint}: ${init.status ? `${init.status} ` : ''}${init.code}: ${init.description}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.name = 'ZendeskApiError';
    this.status = init.status;
    this.code = init.code;
    this.retryable = init.retryable;
    this.endpoint = init.endpoint;
    this.details = init.details;
  }
}

/** 408, 409 (edit conflict), 429 and 5xx are worth another try; other 4xx are our mistake or theirs for good. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}
