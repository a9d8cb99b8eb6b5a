import { type CountryCode, parseIncompletePhoneNumber, parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * What a caller ID says about the caller. Only `number` is ever looked up in Zendesk; every other
 * kind makes the caller unknown without a request.
 */
export type CallerNumber =
  | { kind: 'number'; e164: string; raw: string }
  /** Presentation restricted (CLIR): Asterisk reports `anonymous`. */
  | { kind: 'withheld'; raw: string }
  /** No caller ID at all: Asterisk reports `<unknown>`. */
  | { kind: 'missing'; raw: string }
  /** Something that is not a dialable number (letters, a queue name, 40 digits, search syntax). */
  | { kind: 'invalid'; raw: string; reason: string };

const WITHHELD = new Set(['anonymous', 'restricted', 'private', 'withheld', 'unavailable', 'blocked']);
const MISSING = new Set(['', '<unknown>', 'unknown', '(null)']);
/** E.164 allows 15 digits; room for spaces, brackets and a SIP URI's host, nothing more. */
const MAX_RAW_LENGTH = 64;
/** Characters a phone number may be written with (any script's decimal digits included). */
const PHONE_CHARS = /^[\p{Nd}+()\s./-]+$/u;

export function parseCallerNumber(raw: string, defaultCountry: CountryCode): CallerNumber {
  const trimmed = raw.trim();
  const lower = trimmed.toLowerCase();
  if (MISSING.has(lower)) return { kind: 'missing', raw };
  if (WITHHELD.has(lower)) return { kind: 'withheld', raw };
  if (trimmed.length > MAX_RAW_LENGTH) return { kind: 'invalid', raw: clip(raw), reason: 'too long' };
  const candidate = sipUser(trimmed);
  if (!PHONE_CHARS.test(candidate)) return { kind: 'invalid', raw: clip(raw), reason: 'not a phone number' };
  const digitCount = [...candidate].filter((ch) => /\p{Nd}/u.test(ch)).length;
  if (digitCount < 3 || digitCount > 17)
    return { kind: 'invalid', raw: clip(raw), reason: 'wrong number of digits' };
  // libphonenumber reads ASCII, fullwidth and Arabic-Indic digits and silently drops any other
  // script's (Devanagari, Bengali, Thai…): `+4930 123456 ७८९` would be searched as +4930123456.
  if (parseIncompletePhoneNumber(candidate).replace(/\D/g, '').length !== digitCount)
    return { kind: 'invalid', raw: clip(raw), reason: 'digits of a script that cannot be read' };
  const parsed = parsePhoneNumberFromString(candidate, defaultCountry);
  if (!parsed?.isPossible()) return { kind: 'invalid', raw: clip(raw), reason: 'not a possible number' };
  return { kind: 'number', e164: parsed.number, raw };
}

/** `sip:+4930123456@pbx.example;user=phone` → `+4930123456`; anything else unchanged. */
function sipUser(value: string): string {
  const match = /^sips?:([^@;]+)@/i.exec(value);
  return match ? match[1]! : value;
}

/** Odd caller IDs end up in log lines: keep them short. */
function clip(value: string): string {
  return value.length > MAX_RAW_LENGTH ? `${value.slice(0, MAX_RAW_LENGTH)}…` : value;
}

/** Digits of an E.164 number, as Zendesk's phone search wants them (a literal `+` finds nothing). */
export function searchDigits(e164: string): string {
  return e164.replace(/\D/g, '');
}
