import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@keyv/redis';
import {
  BoundedMap,
  type CallerCache,
  createCallerCache,
  MEMORY_CACHE_ENTRIES,
  REDIS_MAX_RECONNECT_DELAY_MS,
  REDIS_OPERATION_TIMEOUT_MS,
} from '../../src/calls/cache-store.ts';
import { CallerLookup } from '../../src/calls/caller-lookup.ts';
import type { HelpdeskUser } from '../../src/calls/ports.ts';
import { Secret } from '../../src/util/secret.ts';
import { captureLogs } from '../support/log-capture.ts';
import { freePort, type RedisServer, redisSkipReason, startRedis } from '../support/redis-server.ts';
import { searchOnly } from '../support/search-only-helpdesk.ts';

const tmp = mkdtempSync(join(tmpdir(), 'cti-cache-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Every cache a test opens is closed after the file, even when the test failed half-way. */
const opened: Array<CallerCache<unknown>> = [];
after(async () => {
  await Promise.all(opened.map((cache) => cache.close()));
});

function open<T = string>(store: string, password?: string): CallerCache<T> {
  const cache = createCallerCache<T>(
    store,
    password === undefined ? undefined : new Secret(password, 'test'),
  );
  opened.push(cache as CallerCache<unknown>);
  return cache;
}

/** Milliseconds `promise` took to settle, and how. */
async function timed<T>(promise: Promise<T>): Promise<{ ms: number; value?: T; error?: Error }> {
  const start = performance.now();
  try {
    const value = await promise;
    return { ms: performance.now() - start, value };
  } catch (error) {
    return { ms: performance.now() - start, error: error as Error };
  }
}

function rows(file: string): Array<{ key: string; expires: number | null }> {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return db.prepare('SELECT key, expires FROM cache ORDER BY key').all() as Array<{
      key: string;
      expires: number | null;
    }>;
  } finally {
    db.close();
  }
}

describe('memory', () => {
  test('set/get with a TTL; the entry expires', async () => {
    const cache = open('memory');
    await cache.keyv.set('caller:+4930123456', 'erika', 100);
    await cache.keyv.set('caller:+4930999999', 'max');
    assert.equal(await cache.keyv.get('caller:+4930123456'), 'erika');
    await sleep(150);
    assert.equal(await cache.keyv.get('caller:+4930123456'), undefined);
    assert.equal(await cache.keyv.get('caller:+4930999999'), 'max', 'no TTL: kept');
    await cache.close();
  });
});

describe('sqlite', () => {
  test('values survive closing and reopening the file (a daemon restart keeps its cache)', async () => {
    const file = join(tmp, 'restart.db');
    const first = open<{ userId: number; name: string }>(`sqlite:${file}`);
    await first.keyv.set('caller:+4930123456', { userId: 7, name: 'Erika' }, 60_000);
    await first.close();
    await first.close(); // idempotent
    const second = open<{ userId: number; name: string }>(`sqlite:${file}`);
    assert.deepEqual(await second.keyv.get('caller:+4930123456'), { userId: 7, name: 'Erika' });
    await second.close();
  });

  test('TTL: the entry is there, then gone once expired', async () => {
    const cache = open(`sqlite:${join(tmp, 'ttl.db')}`);
    await cache.keyv.set('a', 'short', 150);
    await cache.keyv.set('b', 'long', 60_000);
    assert.equal(await cache.keyv.get('a'), 'short');
    await sleep(250);
    assert.equal(await cache.keyv.get('a'), undefined);
    assert.equal(await cache.keyv.has('a'), false);
    assert.equal(await cache.keyv.get('b'), 'long');
    await cache.close();
  });

  test('expired rows are deleted from the table on open, not only hidden', async () => {
    const file = join(tmp, 'purge.db');
    const cache = open(`sqlite:${file}`);
    await cache.keyv.set('gone', 'x', 100);
    await cache.keyv.set('kept', 'y', 60_000);
    await cache.keyv.set('forever', 'z');
    await cache.close();
    await sleep(150);
    assert.equal(rows(file).length, 3, 'expired but not yet purged while closed');
    const reopened = open(`sqlite:${file}`);
    assert.deepEqual(
      rows(file).map((r) => r.key),
      ['cti-bridge:forever', 'cti-bridge:kept'],
    );
    assert.equal(rows(file).find((r) => r.key === 'cti-bridge:forever')?.expires, null);
    await reopened.close();
  });

  test('the file is in WAL mode', async () => {
    const file = join(tmp, 'wal.db');
    const cache = open(`sqlite:${file}`);
    await cache.keyv.set('a', 'b');
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      assert.deepEqual({ ...db.prepare('PRAGMA journal_mode').get() }, { journal_mode: 'wal' });
    } finally {
      db.close();
    }
    await cache.close();
  });

  test('two caches on two files do not see each other', async () => {
    const one = open(`sqlite:${join(tmp, 'one.db')}`);
    const two = open(`sqlite:${join(tmp, 'two.db')}`);
    await one.keyv.set('caller:+4930123456', 'from one');
    assert.equal(await two.keyv.get('caller:+4930123456'), undefined);
    await two.keyv.set('caller:+4930123456', 'from two');
    assert.equal(await one.keyv.get('caller:+4930123456'), 'from one');
    assert.equal(await two.keyv.get('caller:+4930123456'), 'from two');
    await one.close();
    await two.close();
  });

  // The choice (see createCallerCache): a missing directory is refused, not created.
  test('a file in a directory that does not exist: an error naming cache.store and the directory', () => {
    const dir = join(tmp, 'no', 'such', 'dir');
    assert.throws(
      () => createCallerCache(`sqlite:${join(dir, 'cache.db')}`),
      (error: Error) => {
        assert.match(error.message, /^cache\.store "sqlite:.*cache\.db": the directory .* does not exist/);
        assert.ok(error.message.includes(dir), error.message);
        return true;
      },
    );
    assert.equal(existsSync(join(tmp, 'no')), false, 'nothing was created');
  });

  test('a file that is not an SQLite database, or no file at all: an error naming cache.store', () => {
    const file = join(tmp, 'not-a-db.txt');
    writeFileSync(
      file,
      'this is not a database, just some text that is long enough to have a header'.repeat(20),
    );
    assert.throws(
      () => createCallerCache(`sqlite:${file}`),
      /^Error: cache\.store "sqlite:.*": cannot open the SQLite file: .*not a database/,
    );
    assert.throws(() => createCallerCache('sqlite:'), /^Error: cache\.store "sqlite:" needs a file path/);
  });
});

test('an unknown store: an error naming cache.store and the choices', () => {
  for (const store of ['memcached://127.0.0.1', 'Memory', 'redis:/127.0.0.1', '']) {
    assert.throws(
      () => createCallerCache(store),
      /^Error: cache\.store ".*" is not supported: use memory, sqlite:<file> or redis:\/\/…$/,
      store,
    );
  }
});

const ERIKA: HelpdeskUser = { id: 7, name: 'Erika Mustermann', role: 'end-user' };

/** CallerLookup over `cache`, with a helpdesk that knows ERIKA under every number. */
function lookupOver(cache: CallerCache<never>) {
  const logs = captureLogs();
  const { helpdesk, searches } = searchOnly(async (e164) => (e164.endsWith('0') ? [] : [ERIKA]));
  const lookup = new CallerLookup({
    helpdesk,
    cache: cache.keyv,
    positiveTtlMs: 60_000,
    negativeTtlMs: 10_000,
    logger: logs.logger,
  });
  return { lookup, searches, logs };
}

const REDIS_PASSWORD = 'redis-T3st-Password-8b1f';
/** A failed redis operation settles well within this (the timeout is for a server that is silent). */
const FAIL_FAST_MS = 200;

describe('redis', { skip: redisSkipReason() }, () => {
  let server: RedisServer;
  let secured: RedisServer;
  before(async () => {
    [server, secured] = await Promise.all([startRedis(), startRedis({ password: REDIS_PASSWORD })]);
  });
  after(async () => {
    await Promise.all([server?.stop(), secured?.stop()]);
  });

  /** A plain node-redis client, to look at what the cache wrote. */
  async function raw(url: string, password?: string) {
    const client = createClient({ url, ...(password ? { password } : {}) });
    client.on('error', () => {});
    await client.connect();
    return client;
  }

  test('set/get; the TTL is redis’s own expiry (PX), under the cti-bridge namespace', async () => {
    const cache = open(server.url);
    await cache.keyv.set('caller:+4930123456', 'erika', 300);
    await cache.keyv.set('caller:+4930999999', 'max');
    assert.equal(await cache.keyv.get('caller:+4930123456'), 'erika');
    const client = await raw(server.url);
    try {
      const pttl = await client.pTTL('cti-bridge::caller:+4930123456');
      assert.ok(pttl > 0 && pttl <= 300, `PTTL ${pttl}`);
      assert.equal(await client.pTTL('cti-bridge::caller:+4930999999'), -1, 'no TTL: kept');
      await sleep(400);
      assert.equal(await client.exists('cti-bridge::caller:+4930123456'), 0, 'expired by redis itself');
    } finally {
      client.destroy();
    }
    assert.equal(await cache.keyv.get('caller:+4930123456'), undefined);
    assert.equal(await cache.keyv.get('caller:+4930999999'), 'max');
    await cache.close();
  });

  test('cache.password: works with the right password', async () => {
    const cache = open(secured.url, REDIS_PASSWORD);
    await cache.keyv.set('caller:+4930123456', 'erika', 60_000);
    assert.equal(await cache.keyv.get('caller:+4930123456'), 'erika');
    const client = await raw(secured.url, REDIS_PASSWORD);
    try {
      assert.equal(typeof (await client.get('cti-bridge::caller:+4930123456')), 'string');
    } finally {
      client.destroy();
    }
    await cache.close();
  });

  test('a wrong or missing password: get/set fail at once with WRONGPASS / NOAUTH, never the password', async (t) => {
    const wrong = open(secured.url, 'not-the-password');
    const results = await Promise.all([timed(wrong.keyv.get('k')), timed(wrong.keyv.set('k', 'v', 1000))]);
    for (const { ms, error } of results) {
      t.diagnostic(`wrong password: failed after ${ms.toFixed(0)} ms: ${error?.message}`);
      assert.ok(error, 'rejected');
      assert.match(error.message, /^cache\.store redis:\/\/127\.0\.0\.1:\d+: redis not connected: WRONGPASS/);
      assert.ok(!error.message.includes('not-the-password') && !error.message.includes(REDIS_PASSWORD));
      assert.ok(ms < 2_000 + FAIL_FAST_MS, `${ms} ms (the first call waits for the first attempt)`);
    }
    const again = await timed(wrong.keyv.get('k'));
    assert.ok(again.ms < FAIL_FAST_MS, `${again.ms} ms once the first attempt failed`);
    await wrong.close();

    const none = open(secured.url);
    const { error } = await timed(none.keyv.get('k'));
    assert.match(error?.message ?? '', /redis command failed: NOAUTH/);
    await none.close();
  });

  test('CallerLookup over a cache it cannot log in to: calls go on, one WARN, no password in the log', async () => {
    const cache = open<never>(secured.url, 'not-the-password');
    const { lookup, searches, logs } = lookupOver(cache);
    const found = await lookup.lookup('+4930123456', 'call-1');
    assert.deepEqual(found, { kind: 'known', userId: ERIKA.id, name: ERIKA.name, cached: false });
    const notFound = await lookup.lookup('+4930123450', 'call-2');
    assert.deepEqual(notFound, { kind: 'unknown', reason: 'not found', cached: false });
    await lookup.remember('+4930555555', ERIKA); // resolves: the write failure is logged
    assert.deepEqual(searches, ['+4930123456', '+4930123450']);
    const cacheLines = logs.records().filter((r) => /^caller cache/.test(String(r.msg)));
    assert.deepEqual(
      cacheLines.map((r) => `${r.level} ${r.msg}`),
      [
        'warn caller cache unreadable; searching Zendesk',
        'debug caller cache not written; the next call from this number searches Zendesk',
        'debug caller cache unreadable; searching Zendesk',
        'debug caller cache unreadable; searching Zendesk',
        'debug caller cache not written; the next call from this number searches Zendesk',
        'debug caller cache not written; the next call from this number searches Zendesk',
      ],
    );
    assert.match(JSON.stringify(cacheLines[0]), /WRONGPASS/);
    assert.ok(!logs.lines.join('\n').includes('not-the-password'));
    await cache.close();
  });

  test('redis paused (connection open, no answers): get/set fail after the operation timeout, then recover', async (t) => {
    const paused = await startRedis();
    try {
      const cache = open(paused.url);
      await cache.keyv.set('k', 'before', 60_000);
      paused.pause();
      const [get, set] = await Promise.all([
        timed(cache.keyv.get('k')),
        timed(cache.keyv.set('k', 'during')),
      ]);
      for (const { ms, error } of [get, set]) {
        t.diagnostic(`paused: failed after ${ms.toFixed(0)} ms: ${error?.message}`);
        assert.match(error?.message ?? '', /redis command failed: no answer within \d+ ms/);
        assert.ok(ms >= REDIS_OPERATION_TIMEOUT_MS - 20 && ms < REDIS_OPERATION_TIMEOUT_MS + 300, `${ms} ms`);
      }
      paused.resume();
      assert.equal(await cache.keyv.get('k'), 'during', 'the late SET was applied once redis answered');
      await cache.close();
    } finally {
      await paused.stop();
    }
  });

  test('redis stopped mid-way: get/set fail at once (no hang), CallerLookup still answers', async (t) => {
    const doomed = await startRedis();
    const cache = open<never>(doomed.url);
    const { lookup, searches } = lookupOver(cache);
    assert.equal((await lookup.lookup('+4930123456', 'call-1')).cached, false);
    assert.equal((await lookup.lookup('+4930123456', 'call-2')).cached, true);
    await doomed.stop();
    // The client notices the closed socket within moments; until then a command fails too.
    const start = performance.now();
    const results = [
      await timed(cache.keyv.get('caller:+4930123456')),
      await timed(cache.keyv.set('caller:+4930123456', {} as never, 1000)),
    ];
    for (const { ms, error } of results) {
      t.diagnostic(`stopped: failed after ${ms.toFixed(0)} ms: ${error?.message}`);
      assert.ok(error, 'rejected');
      assert.match(error.message, /redis (not connected|command failed): /);
      assert.ok(ms < REDIS_OPERATION_TIMEOUT_MS + 100, `${ms} ms`);
    }
    const answered = await timed(lookup.lookup('+4930123456', 'call-3'));
    assert.deepEqual(answered.value, { kind: 'known', userId: ERIKA.id, name: ERIKA.name, cached: false });
    assert.ok(performance.now() - start < 2 * REDIS_OPERATION_TIMEOUT_MS + 500);
    assert.equal(searches.length, 2, 'searched again without the cache');
    await cache.close();
  });

  test('close() disconnects: the process exits at once, also while redis is unreachable', async (t) => {
    const script = join(tmp, 'close-child.mjs');
    writeFileSync(
      script,
      [
        `const { createCallerCache } = await import(${JSON.stringify(new URL('../../src/calls/cache-store.ts', import.meta.url).href)});`,
        'const cache = createCallerCache(process.argv[2]);',
        'await cache.keyv.set("k", "v", 1000).catch(() => {});',
        'await cache.keyv.get("k").catch(() => {});',
        'await new Promise((done) => setTimeout(done, Number(process.argv[3])));',
        'await cache.close();',
        'process.stdout.write("closed\\n");',
      ].join('\n'),
    );
    const unreachable = `redis://127.0.0.1:${await freePort()}`;
    // Unreachable: open long enough for the reconnection backoff to reach its cap.
    for (const [url, openMs, exitWithinMs] of [
      [server.url, 0, 300],
      [unreachable, 1_500, REDIS_MAX_RECONNECT_DELAY_MS + 300],
    ] as const) {
      const child = spawn(process.execPath, [script, url, String(openMs)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => {
        stderr += String(chunk);
      });
      let closedAt = 0;
      child.stdout.on('data', (chunk) => {
        if (String(chunk).includes('closed')) closedAt = performance.now();
      });
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await new Promise<number | null>((done) => child.once('exit', done));
      clearTimeout(kill);
      const exitedAfter = performance.now() - closedAt;
      assert.equal(code, 0, stderr);
      assert.ok(closedAt > 0, 'closed');
      t.diagnostic(
        `${url === server.url ? 'connected' : 'unreachable'}: exited ${exitedAfter.toFixed(0)} ms after close()`,
      );
      assert.ok(exitedAfter < exitWithinMs, `${url}: exited ${exitedAfter} ms after close()`);
    }
  });
});

test('the memory store forgets the number written longest ago beyond its bound', async () => {
  const map = new BoundedMap<string, number>(3);
  for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) map.set(key, i);
  assert.deepEqual([...map.keys()], ['b', 'c', 'd']);
  map.set('b', 9); // a new write makes it the youngest
  map.set('e', 4);
  assert.deepEqual([...map.keys()], ['d', 'b', 'e']);

  const cache = createCallerCache<string>('memory');
  for (let i = 0; i <= MEMORY_CACHE_ENTRIES; i++) await cache.keyv.set(`+4930${i}`, 'x');
  assert.equal(await cache.keyv.get('+49300'), undefined, 'the oldest number is gone');
  assert.equal(await cache.keyv.get(`+4930${MEMORY_CACHE_ENTRIES}`), 'x');
  await cache.close();
});

test('the memory store keeps each number as flat JSON text: a full cache stays small, and values come back whole', async (t) => {
  // Measured in a fresh process: only the cache grows its heap there.
  const script = join(tmp, 'memory-size-child.mjs');
  writeFileSync(
    script,
    [
      `const { createCallerCache, MEMORY_CACHE_ENTRIES } = await import(${JSON.stringify(new URL('../../src/calls/cache-store.ts', import.meta.url).href)});`,
      'const cache = createCallerCache("memory", undefined, "ns");',
      'const heap = () => { gc(); gc(); return process.memoryUsage().heapUsed; };',
      'const before = heap();',
      // As CallerLookup writes them: four known callers in five, the rest negative.
      'for (let i = 0; i < MEMORY_CACHE_ENTRIES; i++) {',
      '  const value = i % 5 === 0 ? { none: "not found" } : { userId: 51000000 + i, name: "Customer " + i };',
      '  await cache.keyv.set("caller:+49305" + String(i).padStart(7, "0"), value, 86400000);',
      '}',
      'const perEntry = (heap() - before) / MEMORY_CACHE_ENTRIES;',
      'await cache.keyv.set("caller:+4930999", { userId: 7, name: \':Émile "the" Müller\' }, 60000);',
      'const known = await cache.keyv.get("caller:+4930999");',
      'const negative = await cache.keyv.get("caller:+49305" + String(MEMORY_CACHE_ENTRIES - 5).padStart(7, "0"));',
      'process.stdout.write(JSON.stringify({ perEntry, known, negative }));',
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--expose-gc', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += String(chunk);
  });
  const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  clearTimeout(kill);
  assert.equal(code, 0);
  const { perEntry, known, negative } = JSON.parse(out) as {
    perEntry: number;
    known: unknown;
    negative: unknown;
  };
  t.diagnostic(`${perEntry.toFixed(0)} bytes of heap per cached number`);
  // keyv's default serializer left ropes of ~15 string pieces: 711 bytes an entry.
  assert.ok(perEntry < 400, `${perEntry.toFixed(0)} bytes per entry`);
  assert.deepEqual(known, { userId: 7, name: ':Émile "the" Müller' });
  assert.deepEqual(negative, { none: 'not found' });
});
