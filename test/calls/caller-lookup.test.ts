import assert from 'node:assert/strict';
import { test } from 'node:test';
import Keyv from 'keyv';
import { CallerLookup } from '../../src/calls/caller-lookup.ts';
import type { HelpdeskUser } from '../../src/calls/ports.ts';
import { captureLogs } from '../support/log-capture.ts';
import { searchOnly } from '../support/search-only-helpdesk.ts';

const ERIKA: HelpdeskUser = { id: 20, name: 'Erika Mustermann', role: 'end-user' };
const MAX: HelpdeskUser = { id: 23, name: 'Max Mustermann', role: 'end-user' };
const MARIA: HelpdeskUser = { id: 24, name: 'Maria Mustermann', role: 'end-user' };
const ANNA: HelpdeskUser = { id: 2, name: 'Anna Agent', role: 'agent' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function book(entries: Record<string, HelpdeskUser[]>, delayMs = 0) {
  return async (e164: string) => {
    await sleep(delayMs);
    return entries[e164] ?? [];
  };
}

function setup(
  search: (e164: string) => Promise<HelpdeskUser[]>,
  ttl = { positive: 60_000, negative: 10_000 },
) {
  const logs = captureLogs();
  const { helpdesk, searches } = searchOnly(search);
  const cache = new Keyv();
  const lookup = new CallerLookup({
    helpdesk,
    cache,
    positiveTtlMs: ttl.positive,
    negativeTtlMs: ttl.negative,
    logger: logs.logger,
  });
  const logged = (pattern: RegExp, level?: string) =>
    logs.records().filter((r) => pattern.test(String(r.msg)) && (!level || r.level === level));
  return { lookup, searches, cache, logged };
}

test('single-flight: concurrent lookups of one number cost one search and share its result', async () => {
  const s = setup(book({ '+4930123456': [ERIKA], '+12125550100': [] }, 40));
  const results = await Promise.all([
    ...Array.from({ length: 8 }, (_, i) => s.lookup.lookup('+4930123456', `call-${i}`)),
    s.lookup.lookup('+12125550100', 'other'),
  ]);
  assert.deepEqual(s.searches.toSorted(), ['+12125550100', '+4930123456'], 'one search per number');
  for (const result of results.slice(0, 8)) {
    assert.deepEqual(result, { kind: 'known', userId: ERIKA.id, name: ERIKA.name, cached: false });
  }
  assert.deepEqual(results[8], { kind: 'unknown', reason: 'not found', cached: false });
});

test('positive cache: the second lookup is a cache hit, kept for the positive TTL', async () => {
  const s = setup(book({ '+4930123456': [ERIKA] }), { positive: 60_000, negative: 50 });
  const first = await s.lookup.lookup('+4930123456', 'a');
  const second = await s.lookup.lookup('+4930123456', 'b');
  assert.equal(first.cached, false);
  assert.deepEqual(second, { kind: 'known', userId: ERIKA.id, name: ERIKA.name, cached: true });
  assert.equal(s.searches.length, 1);
  const raw = await s.cache.getRaw('caller:+4930123456');
  const left = (raw?.expires ?? 0) - Date.now();
  assert.ok(left > 59_000 && left <= 60_000, `expires in ${left} ms`);
  // Still there after the negative TTL has long passed.
  await sleep(80);
  assert.equal((await s.lookup.lookup('+4930123456', 'c')).cached, true);
  assert.equal(s.searches.length, 1);
});

test('negative cache: "not found" is kept for its own, shorter TTL, then searched again', async () => {
  const s = setup(book({ '+4930123456': [ERIKA] }), { positive: 60_000, negative: 200 });
  await s.lookup.lookup('+4930123456', 'known');
  assert.deepEqual(await s.lookup.lookup('+4915112345678', 'a'), {
    kind: 'unknown',
    reason: 'not found',
    cached: false,
  });
  assert.deepEqual(await s.lookup.lookup('+4915112345678', 'b'), {
    kind: 'unknown',
    reason: 'not found',
    cached: true,
  });
  assert.deepEqual(s.searches, ['+4930123456', '+4915112345678']);
  const raw = await s.cache.getRaw('caller:+4915112345678');
  const left = (raw?.expires ?? 0) - Date.now();
  assert.ok(left > 0 && left <= 200, `expires in ${left} ms`);
  await sleep(left + 30);
  assert.equal((await s.lookup.lookup('+4915112345678', 'c')).cached, false, 'expired: searched again');
  assert.equal((await s.lookup.lookup('+4930123456', 'd')).cached, true, 'the positive entry outlives it');
  assert.deepEqual(s.searches, ['+4930123456', '+4915112345678', '+4915112345678']);
});

test('ambiguous: unknown caller, WARN with the user ids, cached as a negative result', async () => {
  const s = setup(book({ '+49405550000': [MAX, MARIA] }));
  const result = await s.lookup.lookup('+49405550000', 'call-1');
  assert.deepEqual(result, { kind: 'unknown', reason: 'ambiguous', cached: false });
  const warn = s.logged(/several Zendesk users have this number/, 'warn');
  assert.equal(warn.length, 1);
  assert.deepEqual(warn[0]?.userIds, [MAX.id, MARIA.id]);
  assert.equal(warn[0]?.callId, 'call-1');
  assert.deepEqual(await s.lookup.lookup('+49405550000', 'call-2'), {
    kind: 'unknown',
    reason: 'ambiguous',
    cached: true,
  });
  assert.equal(s.searches.length, 1);
});

test('agents sharing a customer’s number do not make it ambiguous; an agent alone is no caller', async () => {
  const s = setup(book({ '+4930123456': [ANNA, ERIKA], '+4930999999': [ANNA] }));
  assert.deepEqual(await s.lookup.lookup('+4930123456', 'a'), {
    kind: 'known',
    userId: ERIKA.id,
    name: ERIKA.name,
    cached: false,
  });
  assert.deepEqual(await s.lookup.lookup('+4930999999', 'b'), {
    kind: 'unknown',
    reason: 'not found',
    cached: false,
  });
  assert.equal(s.logged(/several Zendesk users/).length, 0);
});

test('a failing search: unknown "failed", WARN, not cached (the next lookup searches again)', async () => {
  let fail = true;
  const s = setup(async (e164) => {
    await sleep(20);
    if (fail) throw new Error('GET /api/v2/search: 503 ServiceUnavailable');
    return e164 === '+4930123456' ? [ERIKA] : [];
  });
  const shared = await Promise.all([
    s.lookup.lookup('+4930123456', 'a'),
    s.lookup.lookup('+4930123456', 'b'),
  ]);
  assert.deepEqual(shared, [
    { kind: 'unknown', reason: 'failed', cached: false },
    { kind: 'unknown', reason: 'failed', cached: false },
  ]);
  assert.equal(s.searches.length, 1, 'the failure was shared too');
  const warn = s.logged(/caller lookup failed/, 'warn')[0];
  assert.match(JSON.stringify(warn?.err), /503/);
  assert.equal(await s.cache.get('caller:+4930123456'), undefined);
  fail = false;
  assert.deepEqual(await s.lookup.lookup('+4930123456', 'c'), {
    kind: 'known',
    userId: ERIKA.id,
    name: ERIKA.name,
    cached: false,
  });
  assert.equal(s.searches.length, 2);
});

test('remember(): the next lookup is a cache hit, even over a cached "not found"', async () => {
  const s = setup(book({}));
  await s.lookup.remember('+4930987654', { id: 21, name: 'Hans Lokal' });
  assert.deepEqual(await s.lookup.lookup('+4930987654', 'a'), {
    kind: 'known',
    userId: 21,
    name: 'Hans Lokal',
    cached: true,
  });
  assert.equal((await s.lookup.lookup('+4915112345678', 'b')).kind, 'unknown');
  await s.lookup.remember('+4915112345678', { id: 30, name: 'Caller +4915112345678' });
  assert.deepEqual(await s.lookup.lookup('+4915112345678', 'c'), {
    kind: 'known',
    userId: 30,
    name: 'Caller +4915112345678',
    cached: true,
  });
  assert.deepEqual(s.searches, ['+4915112345678']);
});

test('remember() while a search is in flight is not overwritten by its "not found"', async () => {
  const s = setup(book({}, 60));
  const running = s.lookup.lookup('+4915112345678', 'slow');
  await sleep(10);
  await s.lookup.remember('+4915112345678', { id: 30, name: 'Caller +4915112345678' });
  await running;
  assert.deepEqual(await s.lookup.lookup('+4915112345678', 'next'), {
    kind: 'known',
    userId: 30,
    name: 'Caller +4915112345678',
    cached: true,
  });
  assert.equal(s.searches.length, 1);
});

test('an unreadable cache: WARN and a search instead of a failure', async () => {
  const logs = captureLogs();
  const { helpdesk, searches } = searchOnly(book({ '+4930123456': [ERIKA] }));
  const broken = new Map<string, unknown>();
  const store = Object.assign(broken, {
    get: () => Promise.reject(new Error('redis: connection refused')),
  });
  const lookup = new CallerLookup({
    helpdesk,
    cache: new Keyv({ store, throwOnErrors: true }),
    positiveTtlMs: 60_000,
    negativeTtlMs: 10_000,
    logger: logs.logger,
  });
  const result = await lookup.lookup('+4930123456', 'a');
  assert.equal(result.kind, 'known');
  assert.deepEqual(searches, ['+4930123456']);
  const warn = logs.records().find((r) => r.msg === 'caller cache unreadable; searching Zendesk');
  assert.equal(warn?.level, 'warn');
});
