import { SlotIndex } from './slot-index.ts';

/** Names are for log lines and the cache: the first 100 characters (at most 255 bytes) are enough. */
const MAX_NAME_CHARS = 100;
const MAX_NAME_BYTES = 255;
const NONE = -1;

/**
 * Who has which phone number, compactly: every end user's numbers (as the digits of their E.164
 * form, a safe integer) → user id, and each such user's name. Half a million numbers in plain
 * objects and Maps cost about 250 bytes each; here rows live in typed arrays, the two indexes
 * store 4-byte row numbers, and names are UTF-8 in one buffer: about 90 bytes a number with one
 * user each, growth slack included (`bytes`; 45 MB for 500,000). Several users may share a number (a household, a switchboard).
 */
export class PhoneBook {
  // One row per (number, user) pair.
  #eKey = new Float64Array(64);
  #eUser = new Int32Array(64);
  /** Next row with the same number. */
  #eNextKey = new Int32Array(64);
  /** Next row of the same user. */
  #eNextUser = new Int32Array(64);
  #eRows = 0;
  #eFree: number[] = [];
  // One row per user with at least one number.
  #uId = new Float64Array(64);
  #uHead = new Int32Array(64);
  #uNameAt = new Uint32Array(64);
  #uNameLen = new Uint8Array(64);
  #uRows = 0;
  #uFree: number[] = [];
  #names = Buffer.alloc(4096);
  #namesUsed = 0;
  #namesGarbage = 0;
  /** Number → its first row. */
  readonly #byKey = new SlotIndex((row) => this.#eKey[row]!);
  /** User id → its row. */
  readonly #byUser = new SlotIndex((row) => this.#uId[row]!);
  #numbers = 0;

  /** (number, user) pairs held: what the mirror's cap counts. */
  get numbers(): number {
    return this.#numbers;
  }

  get users(): number {
    return this.#byUser.size;
  }

  /** Bytes held by the arrays, the indexes and the names. */
  get bytes(): number {
    return (
      this.#eKey.byteLength +
      this.#eUser.byteLength +
      this.#eNextKey.byteLength +
      this.#eNextUser.byteLength +
      this.#uId.byteLength +
      this.#uHead.byteLength +
      this.#uNameAt.byteLength +
      this.#uNameLen.byteLength +
      this.#names.byteLength +
      this.#byKey.bytes +
      this.#byUser.bytes
    );
  }

  /** Ids of the users with this number. */
  usersWith(key: number): number[] {
    const ids: number[] = [];
    for (let e = this.#byKey.get(key); e !== NONE; e = this.#eNextKey[e]!)
      ids.push(this.#uId[this.#eUser[e]!]!);
    return ids;
  }

  has(userId: number): boolean {
    return this.#byUser.get(userId) !== NONE;
  }

  nameOf(userId: number): string | undefined {
    const u = this.#byUser.get(userId);
    if (u === NONE) return undefined;
    const at = this.#uNameAt[u]!;
    return this.#names.toString('utf8', at, at + this.#uNameLen[u]!);
  }

  /** The user's numbers; empty when the book does not hold the user. */
  numbersOf(userId: number): number[] {
    const u = this.#byUser.get(userId);
    const keys: number[] = [];
    if (u === NONE) return keys;
    for (let e = this.#uHead[u]!; e !== NONE; e = this.#eNextUser[e]!) keys.push(this.#eKey[e]!);
    return keys;
  }

  /** The user now has exactly these numbers (none: the user leaves the book). */
  set(userId: number, name: string, keys: readonly number[]): void {
    this.delete(userId);
    if (keys.length === 0) return;
    const u = this.#userRow(userId, name);
    for (const key of new Set(keys)) this.#link(u, key);
  }

  /** One more number for the user (a backfill), keeping the others. False when it was there. */
  add(userId: number, name: string, key: number): boolean {
    const existing = this.#byUser.get(userId);
    if (existing !== NONE) {
      for (let e = this.#uHead[existing]!; e !== NONE; e = this.#eNextUser[e]!) {
        if (this.#eKey[e] === key) return false;
      }
      this.#link(existing, key);
      return true;
    }
    this.#link(this.#userRow(userId, name), key);
    return true;
  }

  delete(userId: number): void {
    const u = this.#byUser.get(userId);
    if (u === NONE) return;
    for (let e = this.#uHead[u]!; e !== NONE; ) {
      const next = this.#eNextUser[e]!;
      this.#unlinkKey(e);
      this.#eFree.push(e);
      this.#numbers--;
      e = next;
    }
    this.#byUser.delete(userId);
    this.#namesGarbage += this.#uNameLen[u]!;
    this.#uFree.push(u);
  }

  #userRow(userId: number, name: string): number {
    const u = this.#uFree.pop() ?? this.#newUserRow();
    this.#uId[u] = userId;
    this.#uHead[u] = NONE;
    // A reused row still points at its previous user's name, which is garbage already.
    this.#uNameLen[u] = 0;
    this.#storeName(u, name);
    this.#byUser.set(userId, u);
    return u;
  }

  #link(u: number, key: number): void {
    const e = this.#eFree.pop() ?? this.#newEntryRow();
    this.#eKey[e] = key;
    this.#eUser[e] = u;
    this.#eNextUser[e] = this.#uHead[u]!;
    this.#uHead[u] = e;
    const head = this.#byKey.get(key);
    this.#eNextKey[e] = head;
    this.#byKey.set(key, e);
    this.#numbers++;
  }

  #unlinkKey(e: number): void {
    const key = this.#eKey[e]!;
    const head = this.#byKey.get(key);
    if (head === e) {
      const next = this.#eNextKey[e]!;
      if (next === NONE) this.#byKey.delete(key);
      else this.#byKey.set(key, next);
      return;
    }
    for (let p = head; p !== NONE; p = this.#eNextKey[p]!) {
      if (this.#eNextKey[p] === e) {
        this.#eNextKey[p] = this.#eNextKey[e]!;
        return;
      }
    }
  }

  #newEntryRow(): number {
    if (this.#eRows === this.#eKey.length) {
      const size = this.#eKey.length * 2;
      this.#eKey = grow(this.#eKey, new Float64Array(size));
      this.#eUser = grow(this.#eUser, new Int32Array(size));
      this.#eNextKey = grow(this.#eNextKey, new Int32Array(size));
      this.#eNextUser = grow(this.#eNextUser, new Int32Array(size));
    }
    return this.#eRows++;
  }

  #newUserRow(): number {
    if (this.#uRows === this.#uId.length) {
      const size = this.#uId.length * 2;
      this.#uId = grow(this.#uId, new Float64Array(size));
      this.#uHead = grow(this.#uHead, new Int32Array(size));
      this.#uNameAt = grow(this.#uNameAt, new Uint32Array(size));
      this.#uNameLen = grow(this.#uNameLen, new Uint8Array(size));
    }
    return this.#uRows++;
  }

  #storeName(u: number, name: string): void {
    let text = name.slice(0, MAX_NAME_CHARS);
    while (Buffer.byteLength(text) > MAX_NAME_BYTES) text = text.slice(0, -1);
    const length = Buffer.byteLength(text);
    if (this.#namesGarbage > 65_536 && this.#namesGarbage * 2 > this.#namesUsed) this.#compactNames();
    if (this.#namesUsed + length > this.#names.length) {
      const bigger = Buffer.alloc(Math.max(this.#names.length * 2, this.#namesUsed + length));
      this.#names.copy(bigger, 0, 0, this.#namesUsed);
      this.#names = bigger;
    }
    this.#names.write(text, this.#namesUsed, 'utf8');
    this.#uNameAt[u] = this.#namesUsed;
    this.#uNameLen[u] = length;
    this.#namesUsed += length;
  }

  /** Names of users who left or were renamed stay in the buffer until they are half of it. */
  #compactNames(): void {
    const fresh = Buffer.alloc(Math.max(4096, this.#namesUsed - this.#namesGarbage));
    let used = 0;
    const free = new Set(this.#uFree);
    for (let u = 0; u < this.#uRows; u++) {
      if (free.has(u)) continue;
      const at = this.#uNameAt[u]!;
      const length = this.#uNameLen[u]!;
      this.#names.copy(fresh, used, at, at + length);
      this.#uNameAt[u] = used;
      used += length;
    }
    this.#names = fresh;
    this.#namesUsed = used;
    this.#namesGarbage = 0;
  }
}

function grow<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}

/** `+4930123456` → 4930123456; numbers beyond 15 digits (not E.164, not a safe integer) have none. */
export function keyOf(e164: string): number | undefined {
  return /^\+[1-9]\d{1,14}$/.test(e164) ? Number(e164.slice(1)) : undefined;
}
