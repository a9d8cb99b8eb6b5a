import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import Keyv from 'keyv';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { CallHandler } from '../../src/calls/call-handler.ts';
import { CallerLookup } from '../../src/calls/caller-lookup.ts';
import { parseCallerNumber, searchDigits } from '../../src/calls/caller-number.ts';
import { type Random, randomInt, seededRandom } from '../../src/sim/pbx/prng.ts';
import { captureLogs } from '../support/log-capture.ts';
import { constantDirectory } from '../support/memory-helpdesk.ts';
import { zendeskWithClient } from '../support/zendesk-client.ts';

// Caller IDs as a PBX may report them, named and generated: parseCallerNumber decides what is a
// number, and nothing else ever reaches Zendesk search. What reaches it is exactly
// `role:end-user phone:*<digits>`. FUZZ_SEED=<n> replays a run; FUZZ_SEED=random picks a new one.

const SEED =
  process.env.FUZZ_SEED === 'random'
    ? Math.floor(Math.random() * 2 ** 31)
    : Number(process.env.FUZZ_SEED ?? 0xca11_e4);
const GENERATED = 6_000;

/** The file's figures, printed as one line when it ends. */
const totals = { parsed: 0, viaZendesk: 0, searches: 0, badSearches: 0, crashes: 0 };
after(() =>
  console.log(
    `fuzz caller-ids: seed ${SEED}, ${totals.parsed} caller IDs parsed, ${totals.viaZendesk} more on the search path ` +
      `against the fake Zendesk (${totals.searches} searches, ${totals.badSearches} not \`role:end-user phone:*<digits>\`), ` +
      `${totals.crashes} crashes`,
  ),
);
const SEARCH = 'GET /api/v2/search';

/** Zero of each digit script the generator writes in; a digit's value is its offset from it. */
const DIGIT_ZEROS = [0x30, 0x660, 0x6f0, 0xff10, 0x966, 0x9e6, 0xe50, 0x1d7ce];

/** Every digit of the generator's scripts rewritten as ASCII; everything else kept. */
function asciiDigits(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const zero = DIGIT_ZEROS.find((z) => cp >= z && cp <= z + 9);
    out += zero === undefined ? ch : String(cp - zero);
  }
  return out;
}

/** The decimal digits a caller ID shows, in any script, as ASCII. */
function shownDigits(text: string): string {
  return asciiDigits(text).replace(/\D/g, '');
}

/** The test's own reading: SIP user part, ASCII digits, libphonenumber; undefined if no number. */
function asciiReading(raw: string): string | undefined {
  const trimmed = raw.trim();
  const user = /^sips?:([^@;]+)@/i.exec(trimmed)?.[1] ?? trimmed;
  const parsed = parsePhoneNumberFromString(asciiDigits(user), 'DE');
  return parsed?.isPossible() ? parsed.number : undefined;
}

const NAMED: Array<[raw: string, expected: string]> = [
  ['', 'missing'],
  ['anonymous', 'withheld'],
  ['ANONYMOUS', 'withheld'],
  ['<unknown>', 'missing'],
  ['(null)', 'missing'],
  ['Erika', 'invalid'],
  ['support-queue', 'invalid'],
  ['sip:+4930123456@host', 'number +4930123456'],
  ['sip:+4930123@host', 'number +4930123'],
  ['sips:030123456@pbx.example;user=phone', 'number +4930123456'],
  ['sip:erika@host', 'invalid'],
  ['1'.repeat(40), 'invalid'],
  ['+49 (0)30 123456', 'number +4930123456'],
  ['+49-30-123456', 'number +4930123456'],
  ['0049 30 123456', 'number +4930123456'],
  ['٠٣٠١٢٣٤٥٦', 'number +4930123456'],
  ['۰۳۰۱۲۳۴۵۶', 'number +4930123456'],
  ['٠١٢', 'invalid'],
  ['１２３', 'invalid'],
  ['０３０１２３４５６', 'number +4930123456'],
  ['+4930１２３４５６', 'number +4930123456'],
  // digits libphonenumber cannot read must not vanish: this is +4930123456789, not +4930123456
  ['+4930 123456 ७८९', 'invalid'],
  ['+49 30 १२३४५६', 'invalid'],
  ['𝟎𝟑𝟎𝟏𝟐𝟑𝟒𝟓𝟔', 'invalid'],
  ['phone:* OR role:admin', 'invalid'],
  ['+4930123456 OR role:admin', 'invalid'],
  ['role:admin', 'invalid'],
  ['"', 'invalid'],
  ['"+4930123456"', 'invalid'],
  ['*', 'invalid'],
  ['*4930123456', 'invalid'],
  ['+4930*', 'invalid'],
  [' ', 'missing'],
  ['+49 30 123 456', 'number +4930123456'],
  ['\\', 'invalid'],
  ['+4930\\123456', 'invalid'],
  ['+4930123456\u0000', 'invalid'],
  ['+4930123456\n', 'number +4930123456'],
  ['x'.repeat(100_000), 'invalid'],
  ['9'.repeat(1_000_000), 'invalid'],
];

/** Caller IDs from pieces: digits of many scripts, phone punctuation, search syntax, junk. */
function generate(rnd: Random, count: number): string[] {
  const int = (min: number, max: number) => randomInt(rnd, min, max);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const digit = () =>
    String.fromCodePoint(pick(DIGIT_ZEROS.slice(0, rnd() < 0.7 ? 1 : undefined)) + int(0, 9));
  const digits = (n: number) => Array.from({ length: n }, digit).join('');
  const tokens: Array<() => string> = [
    () => digits(int(1, 6)),
    () => digits(int(6, 12)),
    () => pick(['+', '+', '00', '0', '(0)', '+49', '+1', '+44 ', '＋']),
    () => pick([' ', '-', '.', '/', '(', ')', '\t', '  ']),
    () => pick(['*', '"', '\\', ':', ' OR ', ' AND ', 'role:admin', 'phone:', '(', ')', '[', ']', '~', '-']),
    () => pick(['sip:', 'sips:', 'tel:', '@pbx.example', ';user=phone', 'anonymous', '<unknown>', 'ext. 12']),
    () => pick(['a', 'Z', 'é', 'ß', '€', '😀', '\u0000', '\u200b', '\ufeff', '\ud800', '٫', '−']),
    () => '9'.repeat(int(16, 80)),
  ];
  /** Something close to a real number: a prefix, digit groups, separators, now and then a wrapper. */
  const plausible = () => {
    const script = rnd() < 0.7 ? 0x30 : pick(DIGIT_ZEROS);
    const groupDigit = () => String.fromCodePoint((rnd() < 0.95 ? script : pick(DIGIT_ZEROS)) + int(0, 9));
    let raw = pick(['+49', '+49 ', '0', '0049', '+1 ', '+44 (0)', '+', '', '+33', '00 ']);
    for (let groups = int(1, 4); groups > 0; groups--) {
      raw += Array.from({ length: int(1, 5) }, groupDigit).join('') + pick(['', ' ', '-', '/', '.']);
    }
    if (rnd() < 0.15) raw = `sip:${raw}@pbx.example`;
    if (rnd() < 0.1)
      raw = `${pick(['"', '*', ' ', '('])}${raw}${pick(['"', '*', ' OR role:admin', ')', '\\', ''])}`;
    return raw;
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (rnd() < 0.5) {
      out.push(plausible());
      continue;
    }
    let raw = '';
    for (let n = int(1, 6); n > 0; n--) raw += pick(tokens)();
    out.push(raw);
  }
  return out;
}

function describe(raw: string): string {
  const parsed = parseCallerNumber(raw, 'DE');
  return parsed.kind === 'number' ? `number ${parsed.e164}` : parsed.kind;
}

test('named caller IDs: what is a number, what is not', () => {
  for (const [raw, expected] of NAMED) {
    assert.equal(describe(raw), expected, `caller id ${JSON.stringify(raw.slice(0, 60))}`);
  }
});

test(`${GENERATED} generated caller IDs: never a crash, numbers are E.164 of the digits shown (seed ${SEED})`, (t) => {
  const inputs = [...NAMED.map(([raw]) => raw), ...generate(seededRandom(SEED), GENERATED)];
  const kinds: Record<string, number> = {};
  const crashes: string[] = [];
  for (const raw of inputs) {
    let parsed: ReturnType<typeof parseCallerNumber>;
    try {
      parsed = parseCallerNumber(raw, 'DE');
    } catch (error) {
      crashes.push(`${JSON.stringify(raw)}: ${(error as Error).message}`);
      continue;
    }
    kinds[parsed.kind] = (kinds[parsed.kind] ?? 0) + 1;
    const label = `caller id ${JSON.stringify(raw.slice(0, 80))} (seed ${SEED})`;
    if (parsed.kind !== 'number') {
      assert.ok(parsed.raw.length <= 65, `${label}: odd input is clipped for logs`);
      continue;
    }
    assert.match(parsed.e164, /^\+[1-9]\d{2,16}$/, label);
    assert.match(searchDigits(parsed.e164), /^\d{3,17}$/, label);
    // The number searched is the number shown: libphonenumber given every digit the caller ID
    // shows (each script's digits rewritten as ASCII here) reads the same number.
    assert.equal(parsed.e164, asciiReading(raw), `${label}: the caller ID shows ${shownDigits(raw)}`);
  }
  totals.parsed += inputs.length;
  totals.crashes += crashes.length;
  t.diagnostic(
    `caller-ids: seed ${SEED}, ${inputs.length} caller IDs parsed, ${crashes.length} crashes, kinds ${JSON.stringify(kinds)}`,
  );
  assert.deepEqual(crashes, []);
  assert.ok((kinds.number ?? 0) > 300 && (kinds.invalid ?? 0) > 1_000, JSON.stringify(kinds));
});

test(`through Zendesk search: only \`role:end-user phone:*<digits>\`, or no search (seed ${SEED})`, async (t) => {
  const logs = captureLogs();
  const { zd, helpdesk } = await zendeskWithClient({
    logger: logs.logger,
    fake: { rateLimitPerMinute: 1_000_000 },
  });
  t.after(() => zd.close());
  const searches = () => zd.requests.filter((r) => r.endpoint === SEARCH);
  const crashes: string[] = [];
  let searched = 0;
  let notSearched = 0;

  // 1. What the call path does: parse the caller ID, search only a number.
  const inputs = [...NAMED.map(([raw]) => raw), ...generate(seededRandom(SEED ^ 0x51), 2_000)];
  for (const raw of inputs) {
    const before = searches().length;
    const parsed = parseCallerNumber(raw, 'DE');
    if (parsed.kind === 'number') {
      try {
        await helpdesk.findUsersByPhone(parsed.e164);
      } catch (error) {
        crashes.push(`${JSON.stringify(raw)}: ${(error as Error).message}`);
      }
    }
    const sent = searches().slice(before);
    const label = `caller id ${JSON.stringify(raw.slice(0, 80))} (seed ${SEED})`;
    if (parsed.kind !== 'number') {
      assert.equal(sent.length, 0, `${label}: no search for a caller ID that is no number`);
      notSearched++;
      continue;
    }
    searched++;
    assert.equal(sent.length, 1, label);
    assert.deepEqual(sent[0]!.query, { query: `role:end-user phone:*${searchDigits(parsed.e164)}` }, label);
    assert.match(String(sent[0]!.query.query), /^role:end-user phone:\*\d{3,17}$/, label);
  }

  // 2. The port itself, handed anything: a search is exactly digits behind `*`, or none at all.
  const direct = [
    '',
    '+',
    'abc',
    'phone:* OR role:admin',
    '*',
    '+49 30 123456',
    '+4930123456',
    '+١٢٣٤٥٦٧',
    ...generate(seededRandom(SEED ^ 0xd1), 500),
  ];
  let directSearches = 0;
  for (const e164 of direct) {
    const before = searches().length;
    try {
      await helpdesk.findUsersByPhone(e164);
    } catch (error) {
      crashes.push(`findUsersByPhone(${JSON.stringify(e164)}): ${(error as Error).message}`);
    }
    const sent = searches().slice(before);
    assert.ok(sent.length <= 1);
    directSearches += sent.length;
    for (const request of sent) {
      assert.match(
        String(request.query.query),
        /^role:end-user phone:\*[1-9]\d{4,16}$/,
        `findUsersByPhone(${JSON.stringify(e164.slice(0, 60))}) searched too much (seed ${SEED})`,
      );
    }
  }

  // 3. The call handler: queue entries with these caller IDs search exactly the numbers.
  const cache = new Keyv();
  const lookup = new CallerLookup({
    helpdesk,
    cache,
    positiveTtlMs: 60_000,
    negativeTtlMs: 60_000,
    logger: logs.logger,
  });
  const handler = new CallHandler({
    helpdesk,
    lookup,
    directory: constantDirectory(),
    queues: new Set(['support']),
    defaultCountry: 'DE',
    strategy: 'defaultUser',
    answerWaitMs: 1_000,
    wrapUpSeconds: 0,
    templates: { subject: 'Call from {callerNumber}', comment: 'x', tags: [] },
    logger: logs.logger,
  });
  t.after(() => handler.stop(Date.now() + 500));
  const before = searches().length;
  const numbers = new Set<string>();
  NAMED.forEach(([raw], i) => {
    const parsed = parseCallerNumber(raw, 'DE');
    if (parsed.kind === 'number') numbers.add(searchDigits(parsed.e164));
    handler.handle({
      type: 'CallQueued',
      callId: `1740000000.${i}`,
      queue: 'support',
      caller: { num: raw, name: '' },
      at: Date.now(),
    });
  });
  const deadline = Date.now() + 5_000;
  while (searches().length - before < numbers.size && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  const fromHandler = searches()
    .slice(before)
    .map((r) => String(r.query.query));
  assert.deepEqual(
    fromHandler.toSorted(),
    [...numbers].map((digits) => `role:end-user phone:*${digits}`).toSorted(),
    'one search per distinct number, none for the rest',
  );

  const all = searches();
  totals.viaZendesk += inputs.length + direct.length + NAMED.length;
  totals.searches += all.length;
  totals.badSearches += all.filter(
    (r) => !/^role:end-user phone:\*\d{5,17}$/.test(String(r.query.query)),
  ).length;
  totals.crashes += crashes.length;
  t.diagnostic(
    `caller-ids via Zendesk: seed ${SEED}, ${inputs.length} caller IDs (${searched} searched, ${notSearched} not), ` +
      `${direct.length} raw findUsersByPhone inputs (${directSearches} searched), ${fromHandler.length} handler searches, ` +
      `${crashes.length} crashes`,
  );
  assert.deepEqual(crashes, []);
});
