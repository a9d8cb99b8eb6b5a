import { randomUUID } from 'node:crypto';

/** Identifiers shaped like Asterisk's: Uniqueid `<epoch>.<seq>`, Local channel `-%08x` counters. */
export class IdAllocator {
  readonly #now: () => number;
  #seq = 0;
  #local = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** The epoch part is the creation second, so it can differ within one call. */
  uniqueid(): string {
    return `${Math.floor(this.#now() / 1000)}.${this.#seq++}`;
  }

  /** Suffix of the next Local channel pair: `00000000`, `00000001`, … `0000000d`. */
  localSuffix(): string {
    return (this.#local++).toString(16).padStart(8, '0');
  }

  bridgeId(): string {
    return randomUUID();
  }
}
