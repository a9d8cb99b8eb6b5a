import type { Socket } from 'node:net';
import { type Random, randomInt, seededRandom } from './prng.ts';

export interface SplitWrites {
  seed: number;
  /** A message goes out in 1…maxPieces writes (default 4). */
  maxPieces?: number;
}

/**
 * A session's outgoing byte stream. With split writes on, each message is cut at random byte
 * offsets (UTF-8 sequences included) and the pieces leave one per event-loop turn, so the reader
 * really sees them in separate TCP reads.
 */
export class WritePath {
  readonly #socket: Socket;
  readonly #random: Random | undefined;
  readonly #maxPieces: number;
  readonly #queue: Buffer[] = [];
  #flushing: NodeJS.Immediate | undefined;
  #endWhenDrained = false;

  constructor(socket: Socket, split: SplitWrites | false) {
    this.#socket = socket;
    this.#random = split ? seededRandom(split.seed) : undefined;
    this.#maxPieces = split ? Math.max(1, split.maxPieces ?? 4) : 1;
    socket.setNoDelay(true);
  }

  write(text: string): void {
    if (this.#socket.destroyed || this.#endWhenDrained) return;
    if (!this.#random) {
      this.#socket.write(text);
      return;
    }
    const bytes = Buffer.from(text);
    const pieces = Math.min(bytes.length, randomInt(this.#random, 1, this.#maxPieces));
    const cuts = new Set<number>();
    for (let i = 1; i < pieces; i++) cuts.add(randomInt(this.#random, 1, bytes.length - 1));
    let start = 0;
    for (const cut of [...cuts].sort((x, y) => x - y)) {
      this.#queue.push(bytes.subarray(start, cut));
      start = cut;
    }
    this.#queue.push(bytes.subarray(start));
    this.#schedule();
  }

  /** Closes after everything queued has been written (Logoff, failed login). */
  end(): void {
    this.#endWhenDrained = true;
    if (this.#queue.length === 0) this.#socket.end();
  }

  /** Drops the connection at once, unsent pieces included. */
  destroy(): void {
    this.#queue.length = 0;
    if (this.#flushing) clearImmediate(this.#flushing);
    this.#flushing = undefined;
    this.#socket.destroy();
  }

  #schedule(): void {
    if (this.#flushing) return;
    this.#flushing = setImmediate(() => {
      this.#flushing = undefined;
      const piece = this.#queue.shift();
      if (piece && !this.#socket.destroyed) this.#socket.write(piece);
      if (this.#queue.length > 0) this.#schedule();
      else if (this.#endWhenDrained) this.#socket.end();
    });
  }
}
