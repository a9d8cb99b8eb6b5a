import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Fake, j, startFake, userId } from './helpers.ts';

async function ticketFor(fake: Fake, requester: number, status?: string): Promise<number> {
  const res = await fake.call('POST', '/api/v2/tickets.json', {
    body: {
      ticket: {
        subject: 'Call',
        comment: { body: 'Inbound call' },
        requester_id: requester,
        ...(status ? { status } : {}),
      },
    },
  });
  assert.equal(res.status, 201);
  return j(res).ticket.id as number;
}

test('update_many: a queued job_status at once; the job lands later; results per ticket in order', async (t) => {
  const fake = await startFake(t, { jobDelayMs: 5_000 });
  const erika = userId(fake.zd, 'erika.mustermann@example.com');
  const a = await ticketFor(fake, erika);
  const b = await ticketFor(fake, erika);
  const res = await fake.call('PUT', '/api/v2/tickets/update_many.json', {
    body: {
      tickets: [
        { id: a, comment: { body: 'Call facts A', public: false } },
        { id: 999_999, comment: { body: 'nowhere', public: false } },
        { id: b, comment: { body: 'Call facts B', public: false } },
      ],
    },
  });
  assert.equal(res.status, 200);
  const queued = j(res).job_status;
  assert.equal(queued.status, 'queued');
  assert.equal(queued.total, 3);
  assert.equal(queued.results, null);
  assert.equal(queued.url, `${fake.zd.url}/api/v2/job_statuses/${queued.id}.json`);

  const early = j(await fake.call('GET', `/api/v2/job_statuses/${queued.id}.json`)).job_status;
  assert.equal(early.status, 'queued', 'the job has not run before its time');
  assert.equal(fake.zd.state.comments(a).length, 1);

  fake.clock.advance(5_000);
  const done = j(await fake.call('GET', `/api/v2/job_statuses/${queued.id}.json`)).job_status;
  assert.equal(done.status, 'completed');
  assert.equal(done.progress, 3);
  assert.deepEqual(
    done.results.map((r: { id: number; success: boolean; index: number }) => [r.index, r.id, r.success]),
    [
      [0, a, true],
      [1, 999_999, false],
      [2, b, true],
    ],
  );
  assert.equal(done.results[1].error, 'TicketNotFound');
  const last = (id: number) => fake.zd.state.comments(id).at(-1)!;
  assert.equal(last(a).body, 'Call facts A');
  assert.equal(last(a).public, false);
  assert.equal(last(b).body, 'Call facts B');
});

test('update_many: refused without a tickets array, with more than 100, or in the bulk form', async (t) => {
  const fake = await startFake(t);
  const none = await fake.call('PUT', '/api/v2/tickets/update_many.json', { body: {} });
  assert.equal(none.status, 400);
  assert.equal(j(none).error, 'ParameterMissing');
  const many = Array.from({ length: 101 }, (_, i) => ({ id: i + 1, comment: { body: 'x' } }));
  const tooMany = await fake.call('PUT', '/api/v2/tickets/update_many.json', { body: { tickets: many } });
  assert.equal(tooMany.status, 400);
  const bulk = await fake.call('PUT', '/api/v2/tickets/update_many.json?ids=1,2', {
    body: { ticket: { status: 'solved' } },
  });
  assert.equal(bulk.status, 400);
  const unknownJob = await fake.call('GET', '/api/v2/job_statuses/0123abc.json');
  assert.equal(unknownJob.status, 404);
  assert.equal(j(unknownJob).error, 'RecordNotFound');
});

test('a refused change (a closed ticket) is a failed result; the other tickets still change', async (t) => {
  const fake = await startFake(t);
  const erika = userId(fake.zd, 'erika.mustermann@example.com');
  const open = await ticketFor(fake, erika);
  const closed = await ticketFor(fake, erika, 'closed');
  const res = await fake.call('PUT', '/api/v2/tickets/update_many.json', {
    body: {
      tickets: [
        { id: closed, comment: { body: 'late facts' } },
        { id: open, comment: { body: 'facts' } },
      ],
    },
  });
  const id = j(res).job_status.id as string;
  const many = j(await fake.call('GET', `/api/v2/job_statuses/show_many.json?ids=${id},nope`));
  assert.equal(many.job_statuses.length, 1, 'unknown job ids are left out');
  const [closedResult, openResult] = many.job_statuses[0].results;
  assert.equal(openResult.success, true);
  assert.equal(closedResult.success, false);
  assert.equal(closedResult.error, 'RecordInvalid');
  assert.match(closedResult.details, /closed prevents ticket update/);
  assert.equal(fake.zd.state.comments(closed).length, 1, 'the closed ticket kept only its first comment');
  const single = await fake.call('PUT', `/api/v2/tickets/${closed}.json`, {
    body: { ticket: { comment: { body: 'late facts' } } },
  });
  assert.equal(single.status, 422, 'a single update of a closed ticket is refused the same way');
});

test('show_many: the tickets asked for that exist, with their users sideloaded on include=users', async (t) => {
  const fake = await startFake(t);
  const erika = userId(fake.zd, 'erika.mustermann@example.com');
  const admin = userId(fake.zd, 'admin@example.com');
  const a = await ticketFor(fake, erika);
  const b = await ticketFor(fake, admin);
  const plain = j(await fake.call('GET', `/api/v2/tickets/show_many.json?ids=${a},${b},424242`));
  assert.deepEqual(
    plain.tickets.map((x: { id: number; requester_id: number }) => [x.id, x.requester_id]),
    [
      [a, erika],
      [b, admin],
    ],
  );
  assert.equal(plain.users, undefined);
  const withUsers = j(await fake.call('GET', `/api/v2/tickets/show_many.json?ids=${a}&include=users`));
  const sideloaded = withUsers.users.map((u: { id: number; role: string }) => [u.id, u.role]);
  assert.deepEqual(
    sideloaded.find(([id]: [number]) => id === erika),
    [erika, 'end-user'],
  );
  const missing = await fake.call('GET', '/api/v2/tickets/show_many.json');
  assert.equal(missing.status, 400);
});
