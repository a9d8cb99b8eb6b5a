/** Zendesk's account budget is per minute, in fixed windows ("requests remaining for the current minute"). */
export const WINDOW_MS = 60_000;

/**
 * The longest the client holds requests on a server's word. Zendesk's windows are a minute (ten for
 * a few endpoints); a `Retry-After: 86400` or a reset 1e12 s away from a proxy or a bug would
 * otherwise stop every call for a day or for good.
 */
export const MAX_HOLD_MS = 10 * 60_000;

/** One request counted against the budget, from the moment it may go on the wire. */
export interface SentRequest {
  readonly seq: number;
  readonly at: number;
  /** The local window it was sent in: an answer to a request sent before a reset may describe the old one. */
  readonly window: number;
}

export type HeaderOf = (name: string) => string | undefined;

/**
 * The current window as far as the answers tell: Zendesk resets the count somewhere in
 * [`endLo`, `endHi`] (`ratelimit-reset` is in whole seconds and an answer was served some time
 * between its request and its answer), and `remaining` requests are left until then.
 */
interface Window {
  endLo: number;
  endHi: number;
  remaining: number;
}

/**
 * What is left of Zendesk's per-minute account budget, counted as the server counts it: every
 * request the client sends is taken off at once, not when its answer says so, because an answer's
 * `X-Rate-Limit-Remaining` was true when the server served it and does not count the requests
 * still on their way. A new window starts at the latest moment the answers allow (never early,
 * which would send into a spent window) and starts with the requests that may count in it already
 * taken off. Another client on the same account shows up as answers with less left than ours.
 */
export class AccountBudget {
  #limit: number | undefined;
  #window: Window | undefined;
  #windowSeq = 0;
  #answered = false;
  #blockedUntil = 0;
  #seq = 0;
  readonly #inFlight = new Map<number, SentRequest>();
  /** Send times since the current window began: those after `endLo` may count in the next one. */
  #sends: number[] = [];

  /** The per-minute limit Zendesk announced; undefined until an answer carried it. */
  get limit(): number | undefined {
    return this.#limit;
  }

  /** Whether any request has been answered (with or without rate headers). */
  get hasAnswer(): boolean {
    return this.#answered;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Until when a 429 holds every request. */
  get blockedUntil(): number {
    return this.#blockedUntil;
  }

  /** Requests left in the window running at `now`; undefined while no limit is known. */
  remaining(now: number): number | undefined {
    this.#roll(now);
    return this.#window?.remaining;
  }

  /** The latest moment the current window can end; undefined while no limit is known. */
  windowEnd(now: number): number | undefined {
    this.#roll(now);
    return this.#window?.endHi;
  }

  /** Takes one request off the budget as it goes on the wire. */
  send(now: number): SentRequest {
    this.#roll(now);
    const sent: SentRequest = { seq: ++this.#seq, at: now, window: this.#windowSeq };
    this.#inFlight.set(sent.seq, sent);
    // Bounded even when no answer ever carries a limit (and so no window ever rolls).
    while (this.#sends.length > 0 && this.#sends[0]! < now - 2 * WINDOW_MS) this.#sends.shift();
    this.#sends.push(now);
    if (this.#window) this.#window.remaining -= 1;
    return sent;
  }

  /** The request failed without an answer: it stays counted, but is no longer on its way. */
  ended(sent: SentRequest, now: number): void {
    this.#roll(now);
    this.#inFlight.delete(sent.seq);
  }

  /** Learns from an answer's rate headers; a 429 holds every request for its `Retry-After`. */
  answered(sent: SentRequest, now: number, status: number, header: HeaderOf): void {
    // A window that ended meanwhile counts this request as possibly its own, as long as it was
    // on its way at the reset.
    this.#roll(now);
    this.#inFlight.delete(sent.seq);
    this.#answered = true;
    const limit = wholeNumber(header('x-rate-limit'));
    const left = wholeNumber(header('x-rate-limit-remaining'));
    const reset = seconds(header('ratelimit-reset'));
    const retryAfter = seconds(header('retry-after'));
    if (status === 429) {
      this.#blockedUntil = Math.max(this.#blockedUntil, now + (retryAfter ?? 60_000));
    }
    if (limit !== undefined && limit > 0) {
      if (this.#window && this.#limit !== undefined) this.#window.remaining += limit - this.#limit;
      this.#limit = limit;
    }
    if (this.#limit === undefined) return;
    // The server's count when it served this request, less ours sent after it and not yet
    // answered: those it had most likely not counted yet. Never more than the limit.
    const serverLeft =
      left === undefined ? undefined : Math.min(this.#limit, left - this.#inFlightSentAfter(sent));
    // When this window ends: `ratelimit-reset` rounded up to whole seconds, counted from some
    // moment between sending and the answer; on a 429 without it, Retry-After says the same.
    const endWait = reset ?? (status === 429 ? retryAfter : undefined);
    const end =
      endWait === undefined ? undefined : { endLo: sent.at + endWait - 1_000, endHi: now + endWait };
    const w = this.#window;
    if (!w) {
      // The first answer. Without a reset time, assume the clock's minutes (as Zendesk counts).
      this.#window = {
        ...(end ?? { endLo: nextMinute(sent.at), endHi: nextMinute(now) }),
        remaining: serverLeft ?? this.#limit - this.#inFlight.size,
      };
    } else if (sent.window !== this.#windowSeq) {
      // Sent before the current window began: its figures may be the previous window's.
    } else if (end && (end.endLo > w.endHi || end.endHi < w.endLo)) {
      // The server's window is not the one assumed (a reset seen early, a clock that differs):
      // its word replaces the guess.
      w.endLo = end.endLo;
      w.endHi = end.endHi;
      if (serverLeft !== undefined) w.remaining = serverLeft;
    } else {
      if (end) {
        w.endLo = Math.max(w.endLo, end.endLo);
        w.endHi = Math.min(w.endHi, end.endHi);
      }
      if (serverLeft !== undefined) w.remaining = Math.min(w.remaining, serverLeft);
    }
    if (status === 429 && this.#window) {
      this.#window.remaining = 0;
      // Nothing goes before Retry-After, and the window ends no later than Zendesk says.
      this.#window.endHi = Math.min(this.#window.endHi, Math.max(this.#blockedUntil, now));
      this.#window.endLo = Math.min(this.#window.endLo, this.#window.endHi);
    }
  }

  #inFlightSentAfter(sent: SentRequest): number {
    let count = 0;
    for (const other of this.#inFlight.values()) if (other.seq > sent.seq) count++;
    return count;
  }

  /** A new window at its latest possible start, with what may count in it already taken off. */
  #roll(now: number): void {
    const w = this.#window;
    if (!w || this.#limit === undefined || now < w.endHi) return;
    const windows = Math.floor((now - w.endHi) / WINDOW_MS) + 1;
    // Sent after the earliest possible reset: perhaps counted in the new window. Sent before and
    // still unanswered: perhaps served after it. Windows later than the next one start clean.
    let carried = 0;
    for (const sent of this.#inFlight.values()) if (windows > 1 || sent.at <= w.endLo) carried++;
    if (windows === 1) for (const at of this.#sends) if (at > w.endLo) carried++;
    w.endLo += windows * WINDOW_MS;
    w.endHi += windows * WINDOW_MS;
    w.remaining = this.#limit - carried;
    this.#sends = [];
    this.#windowSeq++;
  }
}

function nextMinute(ms: number): number {
  return (Math.floor(ms / WINDOW_MS) + 1) * WINDOW_MS;
}

/** A whole number ≥ 0 from a header, or undefined for anything else. */
function wholeNumber(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Seconds ≥ 0 from a header, as milliseconds capped at `MAX_HOLD_MS`. */
function seconds(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? Math.min(n * 1000, MAX_HOLD_MS) : undefined;
}
