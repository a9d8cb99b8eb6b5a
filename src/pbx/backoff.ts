/**
 * Bounded exponential backoff with jitter: first retry within `firstMs`, doubling up to `maxMs`,
 * back to the start after a success. Jitter keeps a fleet of bridges from reconnecting in step.
 */
export class Backoff {
  readonly #firstMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: { firstMs?: number; maxMs?: number; random?: () => number } = {}) {
    this.#firstMs = options.firstMs ?? 500;
    this.#maxMs = options.maxMs ?? 30_000;
    this.#random = options.random ?? Math.random;
  }

  next(): number {
    const base = Math.min(this.#maxMs, this.#firstMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    // Between half and all of the base: never longer than the bound, never zero.
    return Math.round(base / 2 + (base / 2) * this.#random());
  }

  reset(): void {
    this.#attempt = 0;
  }
}
