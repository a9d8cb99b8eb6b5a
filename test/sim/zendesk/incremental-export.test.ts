import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captureLogs } from '../../support/log-capture.ts';
import { type Fake, j, startFake, userId } from './helpers.ts';

const EXPORT = '/api/v2/incremental/users/cursor';

/** Every page from `start`, by after_url, until end_of_stream (at most `guard` pages). */
async function exportAll(fake: Fake, start: string, guard = 20) {
  const pages: Array<{ users: Array<Record<string, unknown>>; body: Record<string, unknown> }> = [];
  let next = `${EXPORT}?${start}`;
  for (let i = 0; i < guard; i++) {
    const res = await fake.call('GET', next);
    assert.equal(res.status, 200, res.text);
    const body = j(res);
    pages.push({ users: body.users, body });
    if (body.end_of_stream) return pages;
    const after = new URL(body.after_url);
    assert.equal(after.searchParams.get('cursor'), body.after_cursor);
    next = after.pathname + after.search;
  }
  throw new Error('the export did not end');
}

test('the whole account in cursor pages: every user once, identities sideloaded, a cursor on the last page too', async (t) => {
  const fake = await startFake(t, { logger: captureLogs().logger });
  for (let i = 0; i < 7; i++)
    fake.zd.addUser({ name: `Customer ${i}`, role: 'end-user', phone: `+4930555000${i}` });
  const pages = await exportAll(fake, 'start_time=0&per_page=5&include=identities');
  const all = fake.zd.state.users();
  assert.equal(all.length, 18, 'the seed (11) and 7 customers');
  assert.deepEqual(
    pages.map((p) => p.users.length),
    [5, 5, 5, 3],
  );
  const ids = pages.flatMap((p) => p.users.map((u) => u.id));
  assert.equal(new Set(ids).size, all.length, 'every user exactly once');
  assert.deepEqual([...ids].sort(), all.map((u) => u.id).sort());
  assert.deepEqual(
    pages.map((p) => p.body.end_of_stream),
    [false, false, false, true],
  );
  const last = pages.at(-1)!.body;
  assert.equal(typeof last.after_cursor, 'string');
  assert.match(String(last.after_url), /\/api\/v2\/incremental\/users\/cursor\?.*cursor=/);
  // Otto has two numbers: both come as phone identities of his, sideloaded with his page.
  const otto = all.find((u) => u.name === 'Otto Normal')!;
  const page = pages.find((p) => p.users.some((u) => u.id === otto.id))!;
  const phones = (page.body.identities as Array<Record<string, unknown>>)
    .filter((i) => i.user_id === otto.id && i.type === 'phone_number')
    .map((i) => i.value);
  assert.deepEqual(phones.sort(), ['(0170) 1234567', '+4922133344']);
  const noInclude = j(await fake.call('GET', `${EXPORT}?start_time=0`));
  assert.equal(noInclude.identities, undefined, 'identities only when included');
  assert.equal(noInclude.users.length, all.length, '1,000 a page by default');
});

test('a change is exported once it is a minute old, and nothing after it before that', async (t) => {
  const fake = await startFake(t);
  const first = j(await fake.call('GET', `${EXPORT}?start_time=0`));
  const cursor = first.after_cursor;
  const created = await fake.call('POST', '/api/v2/users', {
    body: { user: { name: 'New Customer', phone: '+4930777000' } },
  });
  assert.equal(created.status, 201);
  const newId = j(created).user.id;
  fake.clock.advance(30_000);
  // Added directly (an old user), but after the new one's change: held back with it.
  fake.zd.addUser({ name: 'Direct', role: 'end-user', phone: '+4930777001' });
  const early = j(await fake.call('GET', `${EXPORT}?cursor=${cursor}`));
  assert.deepEqual(early.users, [], 'the new user is younger than a minute');
  assert.equal(early.end_of_stream, true);
  fake.clock.advance(31_000);
  const later = j(await fake.call('GET', `${EXPORT}?cursor=${early.after_cursor}&include=identities`));
  assert.deepEqual(
    later.users.map((u: { name: string }) => u.name),
    ['New Customer', 'Direct'],
  );
  // Changes: a new number, a role change, a deletion. Each user comes once, at its last change.
  const erika = userId(fake.zd, 'erika.mustermann@example.com');
  const hans = fake.zd.state.users().find((u) => u.name === 'Hans Lokal')!.id;
  await fake.call('POST', `/api/v2/users/${newId}/identities`, {
    body: { identity: { type: 'phone_number', value: '+4930777009' } },
  });
  await fake.call('PUT', `/api/v2/users/${erika}`, { body: { user: { role: 'agent' } } });
  const deleted = await fake.call('DELETE', `/api/v2/users/${hans}`);
  assert.equal(j(deleted).user.active, false);
  await fake.call('PUT', `/api/v2/users/${newId}`, { body: { user: { name: 'New Customer GmbH' } } });
  fake.clock.advance(61_000);
  const changes = j(await fake.call('GET', `${EXPORT}?cursor=${later.after_cursor}&include=identities`));
  assert.deepEqual(
    changes.users.map((u: { id: number; role: string; active: boolean; name: string }) => [
      u.id,
      u.role,
      u.active,
    ]),
    [
      [erika, 'agent', true],
      [hans, 'end-user', false],
      [newId, 'end-user', true],
    ],
  );
  assert.equal(changes.users[2].name, 'New Customer GmbH');
  assert.deepEqual(
    changes.identities
      .filter((i: { user_id: number; type: string }) => i.user_id === newId && i.type === 'phone_number')
      .map((i: { value: string }) => i.value)
      .sort(),
    ['+4930777000', '+4930777009'],
  );
  const quiet = j(await fake.call('GET', `${EXPORT}?cursor=${changes.after_cursor}`));
  assert.deepEqual(quiet.users, [], 'nothing changed since: one request, no users');
  assert.equal(quiet.end_of_stream, true);
  // A deleted user leaves search once the index catches up.
  fake.clock.advance(120_000);
  const search = j(await fake.call('GET', '/api/v2/search?query=role:end-user phone:*30987654'));
  assert.equal(search.count, 0);
});

test('start_time: only users changed since; younger than a minute is refused', async (t) => {
  const fake = await startFake(t);
  fake.clock.advance(3_600_000);
  const since = Math.floor(fake.clock.now() / 1000) - 120;
  const none = j(await fake.call('GET', `${EXPORT}?start_time=${since}`));
  assert.deepEqual(none.users, []);
  const tooRecent = await fake.call(
    'GET',
    `${EXPORT}?start_time=${Math.floor(fake.clock.now() / 1000) - 30}`,
  );
  assert.equal(tooRecent.status, 422);
  assert.deepEqual(j(tooRecent), {
    error: 'InvalidValue',
    description: 'Too recent start_time. Use a start_time older than a minute',
  });
  assert.equal((await fake.call('GET', EXPORT)).status, 400, 'start_time or cursor is required');
  assert.equal((await fake.call('GET', `${EXPORT}?cursor=not-a-cursor`)).status, 400);
  assert.equal((await fake.call('GET', `${EXPORT}?start_time=0&per_page=1001`)).status, 400);
  assert.equal((await fake.call('GET', `${EXPORT}?start_time=yesterday`)).status, 400);
});

test('10 export requests a minute, on top of the account budget: 429 with Retry-After, other endpoints unaffected', async (t) => {
  const fake = await startFake(t, { rateLimitPerMinute: 100 });
  fake.clock.advance(15_000);
  for (let i = 0; i < 10; i++) assert.equal((await fake.call('GET', `${EXPORT}?start_time=0`)).status, 200);
  const refused = await fake.call('GET', `${EXPORT}?start_time=0`);
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get('Retry-After'), '45');
  assert.equal(j(refused).error, 'TooManyRequests');
  assert.equal(
    refused.headers.get('X-Rate-Limit-Remaining'),
    '90',
    'the refusal spent nothing of the account',
  );
  assert.equal((await fake.call('GET', '/api/v2/groups')).status, 200, 'other endpoints still answer');
  fake.clock.advance(45_000);
  assert.equal((await fake.call('GET', `${EXPORT}?start_time=0`)).status, 200, 'a new minute, a new budget');
});

test('exportRateLimitPerMinute and exportLagMs are options (the High Volume add-on allows 30)', async (t) => {
  const fake = await startFake(t, { exportRateLimitPerMinute: 30, exportLagMs: 5_000 });
  for (let i = 0; i < 30; i++) assert.equal((await fake.call('GET', `${EXPORT}?start_time=0`)).status, 200);
  assert.equal((await fake.call('GET', `${EXPORT}?start_time=0`)).status, 429);
  fake.clock.advance(60_000);
  const cursor = j(await fake.call('GET', `${EXPORT}?start_time=0`)).after_cursor;
  await fake.call('POST', '/api/v2/users', { body: { user: { name: 'Soon', phone: '+4930777100' } } });
  fake.clock.advance(5_000);
  const page = j(await fake.call('GET', `${EXPORT}?cursor=${cursor}`));
  assert.deepEqual(
    page.users.map((u: { name: string }) => u.name),
    ['Soon'],
  );
});
