/**
 * Timing points inside the daemon for the answer-overhead benchmark, taken without touching the
 * daemon's code: Node's own diagnostics channels (`net.client.socket`,
 * `http.client.request.created`) and the sockets they hand out, plus V8's GC entries. Every time is on one clock shared by all
 * processes of the machine (`monoNow`: CLOCK_MONOTONIC, which `performance.now()` counts from its
 * own origin), so the relay's times and the daemon's can be subtracted.
 *
 * In the daemon, per answered call:
 * - `amiIn`: the AMI chunk that completed its AgentConnect reached JavaScript (the first listener
 *   on the socket's `data`, before the daemon's own);
 * - `requestCreated`: node:http created the pop request (after the call handler, the Zendesk
 *   client's lanes and rate gate, and whatever HTTP client code runs before node:http);
 * - `written`: the request's first bytes were handed to the socket (`_writeGeneric`, which writes
 *   at once on a connected TCP socket).
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';

/** `performance.now()` + this = CLOCK_MONOTONIC in ms, the same in every process. */
function monoOffset(): number {
  let best = Number.POSITIVE_INFINITY;
  let offset = 0;
  for (let i = 0; i < 20; i++) {
    const a = performance.now();
    const mono = Number(process.hrtime.bigint()) / 1e6;
    const b = performance.now();
    if (b - a < best) {
      best = b - a;
      offset = mono - (a + b) / 2;
    }
  }
  return offset;
}

const OFFSET = monoOffset();

/** Now, on the machine-wide monotonic clock (ms). */
export function monoNow(): number {
  return performance.now() + OFFSET;
}

/** A `performance.now()` value of this process on the machine-wide clock. */
export function toMono(performanceNow: number): number {
  return performanceNow + OFFSET;
}

export interface DaemonMarks {
  /**
   * Per AMI chunk (flat triples): the stream offset just past it, when it reached JavaScript, and
   * when the daemon had parsed and dispatched all of it (the first nextTick after its `data`
   * listeners: before any promise continuation, such as the rest of an answer's way to Zendesk).
   */
  amiChunks: number[];
  /** Linkedid → node:http created the pop request. */
  requestCreated: Record<string, number>;
  /** Linkedid → the pop request's first bytes went to the socket. */
  written: Record<string, number>;
  /** GC pauses: start, duration (ms), flat pairs. */
  gc: number[];
}

const KEY_PREFIX = 'cti-bridge-call-';
const KEY_LINE = /\r\nidempotency-key: cti-bridge-call-([^\r\n]+?)(?:-nopop)?\r\n/i;

type WriteGeneric = (writev: boolean, data: unknown, encoding: string, cb: unknown) => unknown;

/**
 * Starts recording in this (the daemon's) process. `amiPort`/`httpPort` are the ports the daemon
 * connects to (the relays').
 */
export function recordDaemonMarks(amiPort: number, httpPort: number): () => DaemonMarks {
  const marks: DaemonMarks = { amiChunks: [], requestCreated: {}, written: {}, gc: [] };

  diagnosticsChannel.subscribe('net.client.socket', (message) => {
    const socket = (message as { socket: Socket }).socket;
    // Tried on the first data and the first write: the port is known once connected.
    let received = 0;
    socket.prependListener('data', (chunk: Buffer) => {
      const at = monoNow();
      if (socket.remotePort !== amiPort) return;
      received += chunk.length;
      const index = marks.amiChunks.push(received, at, Number.NaN) - 1;
      process.nextTick(() => {
        marks.amiChunks[index] = monoNow();
      });
    });
    const internal = socket as unknown as { _writeGeneric: WriteGeneric };
    const original = internal._writeGeneric;
    internal._writeGeneric = function (this: Socket, writev, data, encoding, cb) {
      if (!this.connecting && this.remotePort === httpPort) {
        const at = monoNow();
        const chunks = writev ? (data as Array<{ chunk?: unknown } | Buffer>) : [data];
        const first = chunks[0] as { chunk?: unknown } | Buffer | string | undefined;
        const head = String(
          first && typeof first === 'object' && 'chunk' in first ? first.chunk : (first ?? ''),
        );
        const callId = KEY_LINE.exec(head)?.[1];
        if (callId && marks.written[callId] === undefined) marks.written[callId] = at;
      }
      return original.call(this, writev, data, encoding, cb);
    };
  });
  diagnosticsChannel.subscribe('http.client.request.created', (message) => {
    const at = monoNow();
    const key = (message as { request: ClientRequest }).request.getHeader('idempotency-key');
    if (typeof key !== 'string' || !key.startsWith(KEY_PREFIX)) return;
    marks.requestCreated[key.slice(KEY_PREFIX.length).replace(/-nopop$/, '')] ??= at;
  });
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) marks.gc.push(toMono(entry.startTime), entry.duration);
  });
  gc.observe({ entryTypes: ['gc'] });
  return () => {
    gc.disconnect();
    return marks;
  };
}

/**
 * The first chunk whose end is at or past `offset`: when that byte reached the daemon's
 * JavaScript, when the chunk was dispatched, and where it began and ended in the stream.
 */
export function chunkArrival(
  amiChunks: readonly number[],
  offset: number,
): { at: number; dispatchedAt: number; start: number; end: number } | undefined {
  let lo = 0;
  let hi = amiChunks.length / 3 - 1;
  if (hi < 0 || amiChunks[hi * 3]! < offset) return undefined;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (amiChunks[mid * 3]! >= offset) hi = mid;
    else lo = mid + 1;
  }
  return {
    at: amiChunks[lo * 3 + 1]!,
    dispatchedAt: amiChunks[lo * 3 + 2]!,
    start: lo === 0 ? 0 : amiChunks[(lo - 1) * 3]!,
    end: amiChunks[lo * 3]!,
  };
}

/** GC time (ms) that overlaps [from, to]. */
export function gcWithin(gc: readonly number[], from: number, to: number): number {
  let total = 0;
  for (let i = 0; i < gc.length; i += 2) {
    const start = gc[i]!;
    const end = start + gc[i + 1]!;
    if (end > from && start < to) total += Math.min(end, to) - Math.max(start, from);
  }
  return total;
}
