import type { Clock } from './clock.ts';

/**
 * - `status`: an error status with a JSON body (503 by default), optionally with Retry-After.
 * - `timeout`: the request is accepted and never answered (until the server closes).
 * - `drop`: the socket is destroyed without a response.
 * - `html` / `text`: an error page that is not JSON (502 / 500 by default).
 * - `huge`: a very large JSON body (200 by default).
 */
export type FaultKind = 'status' | 'timeout' | 'drop' | 'html' | 'text' | 'huge';

export interface FaultSpec {
  /** Defaults to `status`. */
  kind?: FaultKind;
  status?: number;
  retryAfterSec?: number;
  /** Size of a `huge` body; 16 MiB by default. */
  bytes?: number;
  /**
   * Let the request take effect first, then fail: the ticket exists but the client never learns
   * it (the case Idempotency-Key exists for).
   */
  after?: boolean;
  /** Only requests to this endpoint template (`POST /api/v2/tickets`); all requests when absent. */
  endpoint?: string;
  /** How many requests `next()` fails; 1 by default. */
  count?: number;
}

/** Shorthand accepted wherever a fault is: `503`, `'timeout'`, `'drop'`, or a full spec. */
export type FaultMode = number | FaultKind | FaultSpec;

export interface ResolvedFault {
  kind: FaultKind;
  status: number;
  retryAfterSec: number | undefined;
  bytes: number;
  after: boolean;
}

export interface OutageWindow {
  /** Absolute clock time at which the outage ends. */
  untilMs?: number;
  /** Or: how long from now. */
  forMs?: number;
  /** One mode, or several used in turn (e.g. `[503, 'timeout']`). */
  mode: FaultMode | FaultMode[];
  endpoint?: string;
}

interface Queued {
  spec: ResolvedFault;
  endpoint: string | undefined;
  remaining: number;
}

interface Window {
  fromMs: number;
  untilMs: number;
  modes: Array<{ spec: ResolvedFault; endpoint: string | undefined }>;
  endpoint: string | undefined;
  turn: number;
}

const DEFAULT_STATUS: Record<FaultKind, number> = {
  status: 503,
  timeout: 0,
  drop: 0,
  html: 502,
  text: 500,
  huge: 200,
};

/** Test controls for making the fake misbehave. Faults apply before rate limits and auth. */
export class FaultController {
  readonly #clock: Clock;
  #queue: Queued[] = [];
  #windows: Window[] = [];
  #latencyMs: number;
  readonly #endpointLatency = new Map<string, number>();

  constructor(options: { clock: Clock; latencyMs?: number }) {
    this.#clock = options.clock;
    this.#latencyMs = options.latencyMs ?? 0;
  }

  /** Fails the next `count` matching requests (1 by default). */
  next(mode: FaultMode, options: { count?: number; endpoint?: string } = {}): void {
    const spec = typeof mode === 'object' ? mode : undefined;
    const count = options.count ?? spec?.count ?? 1;
    this.#queue.push({ spec: resolve(mode), endpoint: options.endpoint ?? spec?.endpoint, remaining: count });
  }

  /** Every matching request fails while the clock is before the window's end. */
  window(window: OutageWindow): void {
    const now = this.#clock.now();
    const untilMs = window.untilMs ?? now + (window.forMs ?? 0);
    const modes = (Array.isArray(window.mode) ? window.mode : [window.mode]).map((mode) => ({
      spec: resolve(mode),
      endpoint: typeof mode === 'object' ? mode.endpoint : undefined,
    }));
    this.#windows.push({ fromMs: now, untilMs, modes, endpoint: window.endpoint, turn: 0 });
  }

  /** Real (wall-clock) delay before each answer; per endpoint when one is named. */
  latency(ms: number, endpoint?: string): void {
    if (endpoint === undefined) this.#latencyMs = ms;
    else this.#endpointLatency.set(endpoint, ms);
  }

  latencyFor(endpoint: string): number {
    return this.#endpointLatency.get(endpoint) ?? this.#latencyMs;
  }

  /** Removes queued faults, windows and per-endpoint latency; the base latency goes back to 0. */
  clear(): void {
    this.#queue = [];
    this.#windows = [];
    this.#endpointLatency.clear();
    this.#latencyMs = 0;
  }

  /** Queued faults not yet used. */
  pending(): number {
    return this.#queue.reduce((sum, q) => sum + q.remaining, 0);
  }

  /** The fault for this request, if any: an active window first, then the queue. */
  pick(endpoint: string): ResolvedFault | undefined {
    const now = this.#clock.now();
    this.#windows = this.#windows.filter((w) => w.untilMs > now);
    for (const w of this.#windows) {
      if (w.fromMs > now || (w.endpoint !== undefined && w.endpoint !== endpoint)) continue;
      const mode = w.modes[w.turn % w.modes.length]!;
      if (mode.endpoint !== undefined && mode.endpoint !== endpoint) continue;
      w.turn += 1;
      return mode.spec;
    }
    const queued = this.#queue.find((q) => q.endpoint === undefined || q.endpoint === endpoint);
    if (!queued) return undefined;
    queued.remaining -= 1;
    if (queued.remaining <= 0) this.#queue = this.#queue.filter((q) => q !== queued);
    return queued.spec;
  }
}

function resolve(mode: FaultMode): ResolvedFault {
  const spec: FaultSpec =
    typeof mode === 'number'
      ? { kind: 'status', status: mode }
      : typeof mode === 'string'
        ? { kind: mode }
        : mode;
  const kind = spec.kind ?? 'status';
  return {
    kind,
    status: spec.status ?? DEFAULT_STATUS[kind],
    retryAfterSec: spec.retryAfterSec,
    bytes: spec.bytes ?? 16 * 1024 * 1024,
    after: spec.after ?? false,
  };
}
