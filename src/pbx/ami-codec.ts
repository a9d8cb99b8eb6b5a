import { StringDecoder } from 'node:string_decoder';

/**
 * The AMI wire format: a banner line, then messages of `Key: Value\r\n` lines ended by an empty
 * line. Shared by the fake PBX and the daemon's AMI client, so it sits on the hot path (thousands
 * of events per second): the parser slices the incoming text once per line and builds nothing
 * but the pair arrays it hands back.
 */

export type AmiPair = [key: string, value: string];

/** The banner Asterisk sends on connect (AMI protocol version, not Asterisk's own). */
export const AMI_BANNER = 'Asterisk Call Manager/11.0.0';
const BANNER_PREFIX = 'Asterisk Call Manager/';
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;

/** One AMI message: the ordered pairs as received, repeated keys kept. */
export class AmiMessage {
  readonly pairs: readonly AmiPair[];

  constructor(pairs: readonly AmiPair[]) {
    this.pairs = pairs;
  }

  /** First value for a key, case-insensitive (`actionid` finds `ActionID`). */
  get(key: string): string | undefined {
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i++) {
      if (pairs[i]![0] === key) return pairs[i]![1];
    }
    const lower = key.toLowerCase();
    for (let i = 0; i < pairs.length; i++) {
      const k = pairs[i]![0];
      if (k.length === key.length && k.toLowerCase() === lower) return pairs[i]![1];
    }
    return undefined;
  }

  /** Every value of a key in order (`Variable:` may repeat). */
  getAll(key: string): string[] {
    const lower = key.toLowerCase();
    const out: string[] = [];
    for (const [k, v] of this.pairs) if (k.toLowerCase() === lower) out.push(v);
    return out;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** `event`, `response` or `action` after the first key, as Asterisk always leads with it. */
  get kind(): 'event' | 'response' | 'action' | 'unknown' {
    const first = this.pairs[0]?.[0].toLowerCase();
    return first === 'event' || first === 'response' || first === 'action' ? first : 'unknown';
  }

  /** The value of the leading key: the event name, the response status or the action name. */
  get name(): string {
    return this.pairs[0]?.[1] ?? '';
  }

  /** A plain object; a repeated key becomes an array of its values. */
  toObject(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of this.pairs) {
      const prev = out[k];
      if (prev === undefined) out[k] = v;
      else if (Array.isArray(prev)) prev.push(v);
      else out[k] = [prev, v];
    }
    return out;
  }
}

export type AmiProblem =
  | { kind: 'malformed-line'; line: string }
  | { kind: 'oversized-message'; limit: number };

export interface AmiParserOptions {
  /** Messages longer than this (in characters, ~bytes) are dropped whole; memory stays bounded. */
  maxMessageBytes?: number;
  onProblem?: (problem: AmiProblem) => void;
  onBanner?: (banner: string) => void;
}

/**
 * Streaming parser: feed socket chunks, get back the messages they complete. Chunks may split a
 * message (or a UTF-8 character) anywhere; `\r\n` and bare `\n` both end a line.
 */
export class AmiParser {
  /** The banner line, once seen. */
  banner: string | undefined;
  readonly #max: number;
  readonly #onProblem: ((problem: AmiProblem) => void) | undefined;
  readonly #onBanner: ((banner: string) => void) | undefined;
  readonly #decoder = new StringDecoder('utf8');
  #partial = '';
  #pairs: AmiPair[] = [];
  #size = 0;
  #atStreamStart = true;
  /** Dropping an oversized message until its blank line. */
  #discarding = false;
  /** Dropping the rest of a line that alone was longer than the limit. */
  #skipToEol = false;

  constructor(options: AmiParserOptions = {}) {
    this.#max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#onProblem = options.onProblem;
    this.#onBanner = options.onBanner;
  }

  feed(chunk: Buffer | string): AmiMessage[] {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    const out: AmiMessage[] = [];
    const buf = this.#partial.length > 0 ? this.#partial + text : text;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf('\n', start);
      if (nl === -1) break;
      if (this.#skipToEol) {
        this.#skipToEol = false;
      } else {
        const end = nl > start && buf.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        this.#line(buf, start, end, out);
      }
      start = nl + 1;
    }
    this.#partial = start === 0 ? buf : buf.slice(start);
    if (this.#partial.length > this.#max) {
      // A single line beyond the limit: drop it and the message it belongs to.
      this.#partial = '';
      this.#skipToEol = true;
      this.#startDiscarding();
    }
    return out;
  }

  #line(buf: string, s: number, e: number, out: AmiMessage[]): void {
    if (s === e) {
      if (this.#discarding) {
        this.#discarding = false;
        this.#onProblem?.({ kind: 'oversized-message', limit: this.#max });
      } else if (this.#pairs.length > 0) {
        out.push(new AmiMessage(this.#pairs));
        this.#pairs = [];
      }
      this.#size = 0;
      return;
    }
    if (this.#discarding) return;
    if (this.#atStreamStart) {
      this.#atStreamStart = false;
      if (buf.startsWith(BANNER_PREFIX, s)) {
        this.banner = buf.slice(s, e);
        this.#onBanner?.(this.banner);
        return;
      }
    }
    this.#size += e - s + 2;
    if (this.#size > this.#max) {
      this.#startDiscarding();
      return;
    }
    const colon = buf.indexOf(':', s);
    if (colon === -1 || colon >= e) {
      this.#onProblem?.({ kind: 'malformed-line', line: buf.slice(s, Math.min(e, s + 200)) });
      return;
    }
    // Asterisk skips all blanks after the colon; `AccountCode:` and `AccountCode: ` both give ''.
    let v = colon + 1;
    while (v < e) {
      const c = buf.charCodeAt(v);
      if (c !== 32 && c !== 9) break;
      v++;
    }
    this.#pairs.push([buf.slice(s, colon), buf.slice(v, e)]);
  }

  #startDiscarding(): void {
    this.#discarding = true;
    this.#pairs = [];
    this.#size = 0;
  }
}

export type AmiRecord = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;
export type AmiEncodable = AmiMessage | Iterable<readonly [string, string]> | AmiRecord;

const LINE_BREAK = /[\r\n]/g;

/** A CR or LF inside a key or value would end the line early and let text pose as fields. */
function clean(text: string): string {
  return text.indexOf('\r') === -1 && text.indexOf('\n') === -1 ? text : text.replace(LINE_BREAK, ' ');
}

/**
 * `Key: Value\r\n` lines plus the closing blank line. Takes ordered pairs, a message, or a record
 * (array values become repeated keys, undefined values are left out).
 */
export function encodeAmiMessage(input: AmiEncodable): string {
  let out = '';
  if (input instanceof AmiMessage || Symbol.iterator in input) {
    const pairs = input instanceof AmiMessage ? input.pairs : (input as Iterable<readonly [string, string]>);
    for (const [k, v] of pairs) out += `${clean(k)}: ${clean(v)}\r\n`;
  } else {
    for (const [k, v] of Object.entries(input as AmiRecord)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) {
        for (const item of v as readonly string[]) out += `${clean(k)}: ${clean(item)}\r\n`;
      } else {
        out += `${clean(k)}: ${clean(String(v))}\r\n`;
      }
    }
  }
  return `${out}\r\n`;
}
