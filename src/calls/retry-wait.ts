import { setTimeout as sleep } from 'node:timers/promises';

/** Waits between tries of a ticket or wrap-up Zendesk did not take: first, doubling up to max. */
export interface RetryPolicy {
  firstMs: number;
  maxMs: number;
}

/** 2 s, doubling up to 5 minutes. */
export const DEFAULT_RETRY: RetryPolicy = { firstMs: 2_000, maxMs: 300_000 };

/** The wait before try `attempt + 1`. */
export function retryDelay(retry: RetryPolicy, attempt: number): number {
  return Math.min(retry.maxMs, retry.firstMs * 2 ** (attempt - 1));
}

/** Sleeps `ms`; false when `stopping` aborts first (the journal then replays the work). */
export async function waitUnlessStopping(ms: number, stopping: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal: stopping });
    return true;
  } catch {
    return false;
  }
}
