/**
 * A hash index from a positive safe integer (a phone number's digits, a Zendesk id) to a row of a
 * table the caller keeps. Only the row number is stored here; the key is read back from the
 * caller's table through `keyOf`. Open addressing with linear probing in one Int32Array: 4 bytes
 * a slot, where a `Map<number, number>` costs about 60 bytes an entry (heap numbers, map table).
 */
export class SlotIndex {
  readonly #keyOf: (row: number) => number;
  /** 0: empty; -1: deleted (a tombstone keeps probe chains intact); otherwise row + 1. */
  #slots: Int32Array;
  #mask: number;
  #live = 0;
  #tombstones = 0;

  constructor(keyOf: (row: number) => number, capacity = 64) {
    this.#keyOf = keyOf;
    const size = 2 ** Math.ceil(Math.log2(Math.max(8, capacity)));
    this.#slots = new Int32Array(size);
    this.#mask = size - 1;
  }

  get size(): number {
    return this.#live;
  }

  /** Bytes held (for the mirror's memory report). */
  get bytes(): number {
    return this.#slots.byteLength;
  }

  /** The row of `key`, or -1. */
  get(key: number): number {
    const at = this.#slotOf(key);
    return at < 0 ? -1 : this.#slots[at]! - 1;
  }

  /** Points `key` at `row`, replacing what it pointed at. */
  set(key: number, row: number): void {
    if ((this.#live + this.#tombstones + 1) * 10 > (this.#mask + 1) * 7) this.#resize();
    const slots = this.#slots;
    let reuse = -1;
    for (
      let i = hash(key) & this.#mask, probes = 0;
      probes <= this.#mask;
      i = (i + 1) & this.#mask, probes++
    ) {
      const slot = slots[i]!;
      if (slot === 0) {
        if (reuse >= 0) {
          slots[reuse] = row + 1;
          this.#tombstones--;
        } else slots[i] = row + 1;
        this.#live++;
        return;
      }
      if (slot < 0) {
        if (reuse < 0) reuse = i;
      } else if (this.#keyOf(slot - 1) === key) {
        slots[i] = row + 1;
        return;
      }
    }
    // Unreachable while the load factor stays below 0.7: there is always an empty slot.
    throw new Error('SlotIndex is full');
  }

  delete(key: number): void {
    const at = this.#slotOf(key);
    if (at < 0) return;
    this.#slots[at] = -1;
    this.#live--;
    this.#tombstones++;
  }

  /** The slot holding `key`, or -1: probes past tombstones up to the first empty slot. */
  #slotOf(key: number): number {
    const slots = this.#slots;
    for (
      let i = hash(key) & this.#mask, probes = 0;
      probes <= this.#mask;
      i = (i + 1) & this.#mask, probes++
    ) {
      const slot = slots[i]!;
      if (slot === 0) return -1;
      if (slot > 0 && this.#keyOf(slot - 1) === key) return i;
    }
    return -1;
  }

  /** Grows (or just sweeps tombstones) so that at most half the slots are taken afterwards. */
  #resize(): void {
    const old = this.#slots;
    const size = 2 ** Math.ceil(Math.log2(Math.max(8, (this.#live + 1) * 2)));
    this.#slots = new Int32Array(size);
    this.#mask = size - 1;
    this.#live = 0;
    this.#tombstones = 0;
    for (const slot of old) {
      if (slot <= 0) continue;
      const row = slot - 1;
      let i = hash(this.#keyOf(row)) & this.#mask;
      while (this.#slots[i] !== 0) i = (i + 1) & this.#mask;
      this.#slots[i] = slot;
      this.#live++;
    }
  }
}

/** Mixes both 32-bit halves of a safe integer (numbers of one city share their high digits). */
function hash(key: number): number {
  const low = key >>> 0;
  const high = Math.floor(key / 4_294_967_296) >>> 0;
  let h = Math.imul(low ^ Math.imul(high, 0x85eb_ca6b), 0x9e37_79b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b_3c6d);
  return (h ^ (h >>> 13)) >>> 0;
}
