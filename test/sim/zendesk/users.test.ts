import assert from 'node:assert/strict';
import { test } from 'node:test';
import { j, startFake, userId } from './helpers.ts';

test('250 agents walk through cursor pages of 100 by links.next, role[] filtering', async (t) => {
  const { zd, call } = await startFake(t, { seed: false });
  for (let i = 0; i < 250; i++) {
    zd.addUser({ name: `Agent ${i}`, role: i % 2 ? 'agent' : 'admin', email: `agent${i}@example.com` });
  }
  zd.addUser({ name: 'Customer', role: 'end-user', email: 'customer@example.com' });
  const seen: number[] = [];
  const pageSizes: number[] = [];
  let next: string | null = '/api/v2/users.json?role[]=agent&role[]=admin&page[size]=100';
  for (let guard = 0; next && guard < 10; guard++) {
    const res = await call('GET', next.replace(zd.url, ''));
    assert.equal(res.status, 200);
    const body = j(res);
    pageSizes.push(body.users.length);
    seen.push(...body.users.map((u: { id: number }) => u.id));
    assert.equal(body.meta.has_more, body.links.next !== null);
    if (body.links.next)
      assert.ok(body.links.next.startsWith(`${zd.url}/api/v2/users.json?`), body.links.next);
    next = body.links.next;
  }
  // 250 agents/admins plus the admin that owns the default API token.
  assert.deepEqual(pageSizes, [100, 100, 51]);
  assert.equal(new Set(seen).size, 251);
  assert.ok(
    seen.every((id, i) => i === 0 || id > seen[i - 1]!),
    'ids ascend across pages',
  );

  const badCursor = j(await call('GET', '/api/v2/users?role=agent&page[size]=100&page[after]=bad'));
  assert.equal(badCursor.error, 'InvalidPaginationParameter');
  assert.equal((await call('GET', '/api/v2/users?page[size]=101')).status, 400);
});

test('offset pagination answers next_page, previous_page and count', async (t) => {
  const { call } = await startFake(t);
  const first = j(await call('GET', '/api/v2/users?role=end-user&per_page=4'));
  assert.equal(first.users.length, 4);
  assert.equal(first.count, 7);
  assert.equal(first.previous_page, null);
  assert.match(first.next_page, /page=2/);
  assert.equal((await call('GET', '/api/v2/users?page=101&per_page=100')).status, 400);
});

test('show returns the user; an unknown id is RecordNotFound', async (t) => {
  const { zd, call } = await startFake(t);
  const erika = userId(zd, 'erika.mustermann@example.com');
  const shown = j(await call('GET', `/api/v2/users/${erika}.json`));
  assert.equal(shown.user.name, 'Erika Mustermann');
  assert.equal(shown.user.phone, '+4930123456');
  assert.equal(shown.user.url, `${zd.url}/api/v2/users/${erika}.json`);
  const missing = await call('GET', '/api/v2/users/1');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, { error: 'RecordNotFound', description: 'Not found' });
});

test('create: 201 with a phone identity; 422 RecordInvalid for blank name, taken email, bad phone', async (t) => {
  const { zd, call } = await startFake(t);
  const created = await call('POST', '/api/v2/users', {
    body: { user: { name: 'New Caller', phone: '+49 89 1234567' } },
  });
  assert.equal(created.status, 201);
  const user = j(created).user;
  assert.equal(user.role, 'end-user');
  assert.deepEqual(
    zd.state.identities(user.id).map((i) => [i.type, i.value, i.primary]),
    [['phone_number', '+49 89 1234567', true]],
  );

  const invalid = await call('POST', '/api/v2/users', {
    body: { user: { name: '', email: 'erika.mustermann@example.com', phone: '+49 abc' } },
  });
  assert.equal(invalid.status, 422);
  const body = j(invalid);
  assert.equal(body.error, 'RecordInvalid');
  assert.equal(body.description, 'Record validation errors');
  assert.equal(body.details.name[0].error, 'BlankValue');
  assert.equal(body.details.email[0].error, 'DuplicateValue');
  assert.equal(body.details.phone[0].error, 'InvalidFormat');
  assert.equal(zd.state.users().filter((u) => u.name === '').length, 0, 'nothing was created');
});

test('update: setting phone adds a primary identity and keeps the old number', async (t) => {
  const { zd, call } = await startFake(t);
  const erika = userId(zd, 'erika.mustermann@example.com');
  const updated = await call('PUT', `/api/v2/users/${erika}`, { body: { user: { phone: '+491701112233' } } });
  assert.equal(updated.status, 200);
  assert.equal(j(updated).user.phone, '+491701112233');
  const identities = j(await call('GET', `/api/v2/users/${erika}/identities.json`)).identities;
  const phones = identities.filter((i: { type: string }) => i.type === 'phone_number');
  assert.deepEqual(
    phones.map((i: { value: string; primary: boolean }) => [i.value, i.primary]),
    [
      ['+4930123456', false],
      ['+491701112233', true],
    ],
  );
  assert.equal((await call('PUT', '/api/v2/users/1', { body: { user: { name: 'x' } } })).status, 404);
});

test('identities: add a number (201), the same number twice is DuplicateValue, another user may share it', async (t) => {
  const { zd, call } = await startFake(t);
  const fallback = userId(zd, 'unknown.caller@example.com');
  const path = `/api/v2/users/${fallback}/identities`;
  const added = await call('POST', path, {
    body: { identity: { type: 'phone_number', value: '+4930555111' } },
  });
  assert.equal(added.status, 201);
  assert.equal(j(added).identity.user_id, fallback);
  const twice = await call('POST', path, {
    body: { identity: { type: 'phone_number', value: '+49 30 555111' } },
  });
  assert.equal(twice.status, 422);
  assert.equal(j(twice).details.value[0].error, 'DuplicateValue');
  const erika = userId(zd, 'erika.mustermann@example.com');
  const shared = await call('POST', `/api/v2/users/${erika}/identities`, {
    body: { identity: { type: 'phone_number', value: '+4930555111' } },
  });
  assert.equal(shared.status, 201);
  const badType = await call('POST', path, { body: { identity: { type: 'fax', value: '1' } } });
  assert.equal(badType.status, 422);
});

test('groups list with cursor pagination; /users/me shows the credentials owner', async (t) => {
  const { call } = await startFake(t);
  const groups = j(await call('GET', '/api/v2/groups.json?page[size]=1'));
  assert.deepEqual(
    groups.groups.map((g: { name: string }) => g.name),
    ['Support'],
  );
  assert.equal(groups.meta.has_more, true);
  const rest = j(await call('GET', new URL(groups.links.next).pathname + new URL(groups.links.next).search));
  assert.deepEqual(
    rest.groups.map((g: { name: string }) => g.name),
    ['Sales'],
  );
  assert.equal(rest.meta.has_more, false);
  assert.equal(j(await call('GET', '/api/v2/users/me')).user.email, 'admin@example.com');
});
