import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CallResult, j, startFake } from './helpers.ts';

const searchPath = (query: string) => `/api/v2/search.json?query=${encodeURIComponent(query)}`;
const names = (res: CallResult) =>
  j(res)
    .results.map((r: { name: string }) => r.name)
    .sort();

test('a new user becomes searchable only after the index lag', async (t) => {
  const { call, clock } = await startFake(t, { searchLagMs: 120_000 });
  const created = await call('POST', '/api/v2/users', {
    body: { user: { name: 'Fresh Caller', phone: '+4961112345' } },
  });
  assert.equal(created.status, 201);
  const query = searchPath('role:end-user phone:*4961112345');
  assert.equal(j(await call('GET', query)).count, 0, 'not indexed yet');
  assert.equal(
    j(await call('GET', '/api/v2/users/search?query=4961112345')).count,
    0,
    'users/search lags too',
  );
  clock.advance(119_999);
  assert.equal(j(await call('GET', query)).count, 0);
  clock.advance(1);
  const found = await call('GET', query);
  assert.deepEqual(names(found), ['Fresh Caller']);
  assert.equal(j(found).results[0].result_type, 'user');
  assert.equal(j(found).results[0].id, j(created).user.id);
});

test('an added identity is searchable only after the lag; the old snapshot stays meanwhile', async (t) => {
  const { zd, call, clock } = await startFake(t);
  const erika = zd.state.userByEmail('erika.mustermann@example.com')!;
  await call('POST', `/api/v2/users/${erika.id}/identities`, {
    body: { identity: { type: 'phone_number', value: '+4917099988' } },
  });
  assert.deepEqual(names(await call('GET', searchPath('phone:*4930123456'))), ['Erika Mustermann']);
  assert.equal(j(await call('GET', searchPath('phone:*4917099988'))).count, 0);
  clock.advance(120_000);
  assert.deepEqual(names(await call('GET', searchPath('phone:*4917099988'))), ['Erika Mustermann']);
});

test('phone matching: digits only, `*` matches any stored notation, a literal + matches nothing', async (t) => {
  const { call } = await startFake(t);
  const cases: Array<[string, string[]]> = [
    ['role:end-user phone:*4930123456', ['Erika Mustermann']],
    ['role:end-user phone:4930123456', ['Erika Mustermann']],
    ['phone:*12125550100', ['John Smith']], // stored as "+1 (212) 555-0100"
    ['phone:*2125550100', ['John Smith']],
    ['phone:*30987654', ['Hans Lokal']], // stored nationally as "(030) 987654"
    ['phone:*4930987654', []], // the national notation has no country code to match
    ['phone:*1701234567', ['Otto Normal']], // a second identity
    ['phone:*4930', []], // a suffix, not a substring
    ['phone:4930*', ['Erika Mustermann']],
    ['phone:+4930123456', []],
    ['phone:*+4930123456', []],
    ['phone:030-987654', []],
    ['role:agent phone:*4930123456', []],
  ];
  for (const [query, expected] of cases) {
    assert.deepEqual(names(await call('GET', searchPath(query))), expected, query);
  }
  const unencodedPlus = await call('GET', '/api/v2/search.json?query=role:end-user%20phone:+4930123456');
  assert.equal(j(unencodedPlus).count, 0, 'a raw + decodes to a space: still nothing');
});

test('two users sharing a number are both returned', async (t) => {
  const { call } = await startFake(t);
  const res = await call('GET', searchPath('role:end-user phone:*49405550000'));
  assert.deepEqual(names(res), ['Maria Mustermann', 'Max Mustermann']);
  assert.equal(j(res).count, 2);
  assert.equal(j(res).next_page, null);
  assert.equal(j(res).previous_page, null);
});

test('type:user and email: terms; type:ticket finds no users; unknown properties match nothing', async (t) => {
  const { call } = await startFake(t);
  assert.deepEqual(names(await call('GET', searchPath('type:user email:anna.agent@example.com'))), [
    'Anna Agent',
  ]);
  assert.deepEqual(names(await call('GET', searchPath('type:user role:agent'))), [
    'Anna Agent',
    'Ben Berger',
    'Carla Sales',
  ]);
  assert.equal(j(await call('GET', searchPath('type:ticket phone:*4930123456'))).count, 0);
  assert.equal(j(await call('GET', searchPath('shoe_size:42'))).count, 0);
  assert.equal((await call('GET', '/api/v2/search.json')).status, 400);
  assert.equal((await call('GET', `${searchPath('role:agent')}&page=11&per_page=100`)).status, 422);
});

test('users/search returns {users} by query or external_id', async (t) => {
  const { call } = await startFake(t);
  const byEmail = j(await call('GET', '/api/v2/users/search.json?query=carla.sales@example.com'));
  assert.deepEqual(
    byEmail.users.map((u: { name: string }) => u.name),
    ['Carla Sales'],
  );
  const byExternal = j(await call('GET', '/api/v2/users/search?external_id=cti-default-user'));
  assert.deepEqual(
    byExternal.users.map((u: { name: string }) => u.name),
    ['Unknown Caller'],
  );
});
