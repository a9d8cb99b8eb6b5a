import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { type MirrorTiming, PhoneMirror } from '../../src/mirror/phone-mirror.ts';
import type { ExportFrom, ExportPage } from '../../src/mirror/ports.ts';
import {
  type FakeZendesk,
  type FakeZendeskOptions,
  ManualClock,
  startFakeZendesk,
} from '../../src/sim/zendesk/index.ts';
import { Secret } from '../../src/util/secret.ts';
import { apiTokenAuth } from '../../src/zendesk/auth.ts';
import { ZendeskHttp } from '../../src/zendesk/zendesk-http.ts';
import { ZendeskUserExport } from '../../src/zendesk/zendesk-user-export.ts';
import { waitFor } from '../support/bridge-harness.ts';
import { captureLogs } from '../support/log-capture.ts';
import { manualRateClock } from '../support/zendesk-client.ts';

const EXPORT = 'GET /api/v2/incremental/users/cursor';
const SEARCH = 'GET /api/v2/search';

/**
 * The mirror through the real adapter and HTTP client against the fake Zendesk, all on one manual
 * clock: the mirror's request spacing and waits advance it instead of sleeping.
 */
async function mirrorOnFake(
  t: TestContext,
  options: {
    fake?: FakeZendeskOptions;
    maxNumbers?: number;
    timing?: MirrorTiming;
    prepare?: (zd: FakeZendesk) => void;
  } = {},
) {
  const clock = new ManualClock();
  const zd = await startFakeZendesk({ clock, ...options.fake });
  t.after(() => zd.close());
  options.prepare?.(zd);
  const logs = captureLogs();
  const http = new ZendeskHttp({
    baseUrl: zd.url,
    auth: apiTokenAuth('admin@example.com', new Secret('fake-api-token', 'test')),
    logger: logs.logger,
    clock: manualRateClock(clock),
  });
  const mirror = new PhoneMirror({
    source: new ZendeskUserExport(http),
    defaultCountry: 'DE',
    maxNumbers: options.maxNumbers ?? 500_000,
    staleAfterMs: 5 * 60_000,
    logger: logs.logger,
    timing: { retry: { firstMs: 1_000, maxMs: 10_000 }, ...options.timing },
    clock: {
      now: () => clock.now(),
      sleep: async (ms) => {
        clock.advance(ms);
        // A real turn of the event loop, so that a test waiting on the mirror gets to look.
        await new Promise((resolve) => setImmediate(resolve));
      },
    },
  });
  t.after(() => mirror.stop());
  const exports = () => zd.requests.filter((r) => r.endpoint === EXPORT);
  const logged = (pattern: RegExp) => logs.records().filter((r) => pattern.test(String(r.msg)));
  return { zd, clock, mirror, exports, logged };
}

async function adminCall(zd: FakeZendesk, method: string, path: string, body?: unknown) {
  const auth = Buffer.from('admin@example.com/token:fake-api-token').toString('base64');
  const res = await fetch(`${zd.url}${path}`, {
    method,
    headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  assert.ok(res.status < 300, `${method} ${path}: ${res.status}`);
  return (await res.json()) as { user: { id: number } };
}

const ids = (users: Array<{ id: number }> | undefined) => users?.map((u) => u.id).sort((a, b) => a - b);

test('load: 2,500 customers in three pages 6 s apart; numbers in any notation; lookups answered without a search', async (t) => {
  const m = await mirrorOnFake(t, {
    prepare: (zd) => {
      for (let i = 0; i < 2_500; i++)
        zd.addUser({
          name: `Customer ${i}`,
          role: 'end-user',
          phone: `+49 30 7${String(i).padStart(6, '0')}`,
        });
    },
  });
  assert.equal(m.mirror.usersWith('+4930123456'), undefined, 'not loaded: no answer, lookups search');
  const started = m.clock.now();
  assert.equal(await m.mirror.load(), true);
  assert.equal(m.mirror.state, 'ready');
  assert.equal(m.exports().length, 3, '2,511 users, 1,000 a page');
  assert.equal(m.clock.now() - started, 12_000, 'pages 6 s apart: 10 a minute at most');
  assert.ok(m.exports().every((r) => r.query.include === 'identities' && r.query.per_page === '1000'));
  const user = (name: string) => m.zd.state.users().find((u) => u.name === name)!.id;
  assert.deepEqual(ids(m.mirror.usersWith('+4930123456')), [user('Erika Mustermann')]);
  assert.deepEqual(m.mirror.usersWith('+4930123456')?.[0]?.name, 'Erika Mustermann');
  // Stored as "+1 (212) 555-0100", "(030) 987654" (national), "(0170) 1234567" (a second number).
  assert.deepEqual(ids(m.mirror.usersWith('+12125550100')), [user('John Smith')]);
  assert.deepEqual(ids(m.mirror.usersWith('+4930987654')), [user('Hans Lokal')]);
  assert.deepEqual(ids(m.mirror.usersWith('+491701234567')), [user('Otto Normal')]);
  assert.deepEqual(
    ids(m.mirror.usersWith('+49405550000')),
    ids([{ id: user('Max Mustermann') }, { id: user('Maria Mustermann') }]),
    'a shared line: both users',
  );
  assert.deepEqual(ids(m.mirror.usersWith('+49307002499')), [user('Customer 2499')]);
  assert.deepEqual(m.mirror.usersWith('+4915112345678'), [], 'nobody has it: an answer, not a miss');
  assert.equal(m.mirror.usersWith('+12345678901234567'), undefined, 'beyond E.164: search decides');
  assert.equal(m.zd.requests.filter((r) => r.endpoint === SEARCH).length, 0);
  const loaded = m.logged(/phone directory mirror loaded/)[0]!;
  assert.equal(loaded.exportedUsers, 2_511);
  assert.equal(loaded.numbers, 2_507);
  assert.ok(Number(loaded.megabytes) > 0 && Number(loaded.megabytes) < 0.5, `${loaded.megabytes} MB`);
});

test('polls: one request when nothing changed; new, changed, re-roled and deleted users after their minute', async (t) => {
  const m = await mirrorOnFake(t);
  await m.mirror.load();
  const loadRequests = m.exports().length;
  await m.mirror.poll();
  assert.equal(m.exports().length, loadRequests + 1, 'nothing changed: one request');

  const created = await adminCall(m.zd, 'POST', '/api/v2/users', {
    user: { name: 'Nina Neu', phone: '+49 30 5550123' },
  });
  const nina = created.user.id;
  await m.mirror.poll();
  assert.deepEqual(m.mirror.usersWith('+49305550123'), [], 'younger than a minute: not exported yet');
  m.clock.advance(61_000);
  await m.mirror.poll();
  assert.deepEqual(m.mirror.usersWith('+49305550123'), [{ id: nina, name: 'Nina Neu' }]);

  const erika = m.zd.state.userByEmail('erika.mustermann@example.com')!.id;
  const hans = m.zd.state.users().find((u) => u.name === 'Hans Lokal')!.id;
  const otto = m.zd.state.users().find((u) => u.name === 'Otto Normal')!.id;
  await adminCall(m.zd, 'POST', `/api/v2/users/${nina}/identities`, {
    identity: { type: 'phone_number', value: '0170 9998887' },
  });
  await adminCall(m.zd, 'PUT', `/api/v2/users/${erika}`, { user: { role: 'agent' } });
  await adminCall(m.zd, 'DELETE', `/api/v2/users/${hans}`);
  await adminCall(m.zd, 'PUT', `/api/v2/users/${otto}`, { user: { name: 'Otto Normal-Neu' } });
  m.clock.advance(61_000);
  await m.mirror.poll();
  assert.deepEqual(ids(m.mirror.usersWith('+491709998887')), [nina], 'a new number of a known customer');
  assert.deepEqual(m.mirror.usersWith('+4930123456'), [], 'Erika is an agent now: never a caller match');
  assert.equal(m.mirror.userFor(erika)?.role, 'agent', 'and never a backfill target');
  assert.deepEqual(m.mirror.usersWith('+4930987654'), [], 'Hans was deleted');
  assert.deepEqual(m.mirror.usersWith('+4922133344'), [{ id: otto, name: 'Otto Normal-Neu' }]);
  assert.deepEqual(m.mirror.userFor(otto)?.phones.sort(), ['+491701234567', '+4922133344']);
  assert.deepEqual(
    m.mirror.userFor(123_456_789),
    {
      id: 123_456_789,
      name: '',
      role: 'end-user',
      phones: [],
    },
    'not in the mirror, not staff: an end user without a number',
  );
});

test('a number the bridge adds is there at once and survives an export row read before it', async (t) => {
  const m = await mirrorOnFake(t);
  await m.mirror.load();
  const hans = m.zd.state.users().find((u) => u.name === 'Hans Lokal')!.id;
  // Zendesk changed Hans (a rename) just before the bridge adds the caller's number to him.
  await adminCall(m.zd, 'PUT', `/api/v2/users/${hans}`, { user: { name: 'Hans Lokal GmbH' } });
  m.mirror.add('+4930555111', { id: hans, name: 'Hans Lokal' });
  assert.deepEqual(ids(m.mirror.usersWith('+4930555111')), [hans], 'at once');
  m.clock.advance(61_000);
  await m.mirror.poll();
  assert.deepEqual(
    m.mirror.usersWith('+4930555111'),
    [{ id: hans, name: 'Hans Lokal GmbH' }],
    'the rename, exported without the new number, does not take it away',
  );
  assert.deepEqual(m.mirror.userFor(hans)?.phones.sort(), ['+4930555111', '+4930987654']);
});

test('over the cap: the mirror switches itself off with a WARN and never answers', async (t) => {
  const m = await mirrorOnFake(t, {
    maxNumbers: 1_000,
    prepare: (zd) => {
      for (let i = 0; i < 1_500; i++)
        zd.addUser({ name: `C ${i}`, role: 'end-user', phone: `+49307${String(i).padStart(6, '0')}` });
    },
  });
  assert.equal(await m.mirror.load(), false);
  assert.equal(m.mirror.state, 'off');
  assert.equal(m.mirror.usersWith('+4930123456'), undefined);
  assert.equal(m.mirror.userFor(1), undefined);
  const warn = m.logged(/switched off/)[0]!;
  assert.equal(warn.level, 'warn');
  assert.equal(warn.maxNumbers, 1_000);
  assert.ok(Number(warn.numbers) > 1_000);
  m.mirror.add('+4930555111', { id: 1, name: 'x' });
  assert.equal(m.mirror.usersWith('+4930555111'), undefined);
});

test('stale: polls failing longer than staleAfter → lookups search; fresh again after a poll', async (t) => {
  const m = await mirrorOnFake(t, { timing: { pollMs: 5 } });
  m.mirror.start();
  await waitFor(() => m.mirror.state === 'ready', 'the load');
  assert.ok(m.mirror.usersWith('+4930123456'));
  m.zd.faults.window({ forMs: 60 * 60_000, mode: 503, endpoint: EXPORT });
  // Each failing poll waits its 6 s spacing on the manual clock: 5 minutes pass after 50 polls.
  await waitFor(() => m.logged(/is stale/).length === 1, 'the stale warning', 20_000);
  assert.equal(m.mirror.usersWith('+4930123456'), undefined, 'stale: no answer, the search path decides');
  assert.equal(
    m.logged(/polling for changes failed$/).length,
    1,
    'the first failure is a WARN, the rest debug',
  );
  m.zd.faults.clear();
  await waitFor(() => m.logged(/fresh again/).length === 1, 'the recovery', 20_000);
  assert.deepEqual(ids(m.mirror.usersWith('+4930123456')), [
    m.zd.state.userByEmail('erika.mustermann@example.com')!.id,
  ]);
});

test('a 429 from the export limit is waited out (Retry-After) and the load goes on', async (t) => {
  const m = await mirrorOnFake(t, {
    fake: { exportRateLimitPerMinute: 2 },
    timing: { requestGapMs: 0 },
    prepare: (zd) => {
      for (let i = 0; i < 2_500; i++)
        zd.addUser({ name: `C ${i}`, role: 'end-user', phone: `+49307${String(i).padStart(6, '0')}` });
    },
  });
  m.mirror.start();
  await waitFor(() => m.mirror.state === 'ready', 'the load', 20_000);
  const statuses = m.exports().map((r) => r.status);
  assert.deepEqual(statuses, [200, 200, 429, 200], 'the third page met the limit, then went through');
  assert.equal(m.logged(/phone directory mirror loaded/)[0]?.numbers, 2_507);
});

test('Zendesk refuses the export (not an admin, 403): off with a WARN, lookups search', async (t) => {
  const m = await mirrorOnFake(t);
  m.zd.faults.next(403, { endpoint: EXPORT });
  m.mirror.start();
  await waitFor(() => m.mirror.state === 'off', 'the switch-off');
  assert.equal(m.exports().length, 1, 'not tried again');
  assert.match(String(m.logged(/switched off/)[0]?.msg), /needs an admin/);
  assert.equal(m.mirror.usersWith('+4930123456'), undefined);
});

test('a failing page is tried again where it failed, not from the start', async (t) => {
  const m = await mirrorOnFake(t, {
    prepare: (zd) => {
      for (let i = 0; i < 1_500; i++)
        zd.addUser({ name: `C ${i}`, role: 'end-user', phone: `+49307${String(i).padStart(6, '0')}` });
    },
  });
  // An outage of the export from the second page on: that page comes 6 s after the first.
  const start = m.clock.now();
  m.clock.set(start + 6_000);
  m.zd.faults.window({ forMs: 10_000, mode: 503, endpoint: EXPORT });
  m.clock.set(start);
  m.mirror.start();
  await waitFor(() => m.mirror.state === 'ready', 'the load');
  const requests = m.exports();
  assert.equal(requests[0]!.query.start_time, '0');
  assert.equal(requests[0]!.status, 200);
  const rest = requests.slice(1);
  assert.ok(rest.length >= 3, 'the second page failed at least twice');
  assert.ok(
    rest.every((r) => r.query.cursor === requests[1]!.query.cursor),
    'every try of the second page by the same cursor',
  );
  assert.deepEqual(
    rest.map((r) => r.status),
    [...rest.slice(0, -1).map(() => 503), 200],
  );
  assert.equal(m.logged(/an export page failed/).length, rest.length - 1);
  assert.equal(m.logged(/phone directory mirror loaded/)[0]?.numbers, 1_507);
});

test('an export without sideloaded identities: the primary numbers, and one WARN saying so', async () => {
  const logs = captureLogs();
  const pages: ExportPage[] = [
    {
      users: [{ id: 7, name: 'Erika', role: 'end-user', active: true, phones: ['+4930123456'] }],
      afterCursor: 'c1',
      endOfStream: false,
      allPhones: false,
    },
    {
      users: [{ id: 8, name: 'Max', role: 'end-user', active: true, phones: ['040 5550000'] }],
      afterCursor: 'c2',
      endOfStream: true,
      allPhones: false,
    },
  ];
  const asked: ExportFrom[] = [];
  const mirror = new PhoneMirror({
    source: {
      page: async (from) => {
        asked.push(from);
        return pages.shift()!;
      },
    },
    defaultCountry: 'DE',
    maxNumbers: 1_000,
    staleAfterMs: 60_000,
    logger: logs.logger,
    timing: { requestGapMs: 0 },
  });
  assert.equal(await mirror.load(), true);
  assert.deepEqual(asked, [{ startTime: 0 }, { cursor: 'c1' }]);
  assert.deepEqual(mirror.usersWith('+49405550000'), [{ id: 8, name: 'Max' }]);
  const warnings = logs.records().filter((r) => r.level === 'warn');
  assert.deepEqual(
    warnings.map((r) => r.msg),
    ['the user export came without sideloaded identities; only each user’s primary number is mirrored'],
  );
});

test('a poll whose cursor Zendesk refuses (400): everything is loaded again, the old copy answers meanwhile', async (t) => {
  const m = await mirrorOnFake(t, {
    timing: { pollMs: 5 },
    // A stored number no country has (Zendesk takes it, the parser cannot): each load counts it once.
    prepare: (zd) => zd.addUser({ name: 'Front desk', role: 'end-user', phone: '+999 1234567' }),
  });
  m.mirror.start();
  await waitFor(() => m.mirror.state === 'ready', 'the load');
  const erika = [m.zd.state.userByEmail('erika.mustermann@example.com')!.id];
  const loadedBefore = m.exports().length;
  m.zd.faults.next(400, { endpoint: EXPORT });
  await waitFor(
    () => m.logged(/phone directory mirror loaded again/).length === 1,
    'the second load',
    20_000,
  );
  assert.equal(m.logged(/refused the export cursor; loading everything again/).length, 1);
  const refused = m.exports().findIndex((r, i) => i >= loadedBefore && r.status === 400);
  assert.ok(refused >= loadedBefore, 'a poll was refused');
  const reload = m.exports()[refused + 1]!;
  assert.equal(reload.query.start_time, '0', 'the new load starts from the beginning, not from the cursor');
  assert.equal(m.logged(/mirror loaded;/)[0]?.unreadableNumbers, 1);
  assert.equal(m.logged(/loaded again/)[0]?.unreadableNumbers, 1, 'counted per load, not added up');
  assert.deepEqual(ids(m.mirror.usersWith('+4930123456')), erika);
});
