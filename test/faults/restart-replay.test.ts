import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CallJournal } from '../../src/calls/call-journal.ts';
import { type Bridge, startBridge } from '../support/bridge-harness.ts';

const TICKET = 'POST /api/v2/channels/voice/tickets';

function ticketsFor(bridge: Bridge, callId: string) {
  return bridge.zd.state.tickets().filter((t) => t.external_id === `cti-bridge:${callId}`);
}

function journalOf(bridge: Bridge): CallJournal {
  return CallJournal.open(CallJournal.fileFor(path.join(bridge.workDir, 'state'), 'main'));
}

test('a ticket Zendesk refused until the daemon stopped is created by the next start, once, without a late pop', async (t) => {
  const bridge = await startBridge({
    profile: { wrapUpSeconds: 0 },
    tuning: { retry: { firstMs: 100, maxMs: 200 }, zendeskTimeoutMs: 500 },
  });
  t.after(() => bridge.close());
  bridge.zd.faults.window({ forMs: 60_000, mode: 503, endpoint: TICKET });
  const call = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4930123456', talkMs: 100 });
  await call.done;
  await bridge.waitFor(
    () => bridge.logged(/no ticket for this call yet; trying again/).length >= 2,
    'failed tries',
  );
  const journal = journalOf(bridge);
  t.after(() => journal.close());
  assert.equal(journal.get(call.linkedid)?.ticketId, undefined);
  assert.ok((journal.get(call.linkedid)?.ticketAttempts ?? 0) >= 2);

  await bridge.restart();
  bridge.zd.faults.clear();
  await bridge.waitFor(
    () => journal.get(call.linkedid)?.wrappedUpAt !== undefined,
    'the replayed ticket and wrap-up',
    10_000,
  );
  assert.equal(ticketsFor(bridge, call.linkedid).length, 1);
  assert.equal(bridge.zd.pops.length, 0, 'the call was over: no pop');
  assert.equal(bridge.logged(/unfinished calls restored from the journal/).length, 1);
  const ticket = ticketsFor(bridge, call.linkedid)[0]!;
  assert.match(bridge.zd.state.comments(ticket.id).at(-1)?.body ?? '', /Call facts/);
});

test('a ticket made whose answer was lost is found by external_id after the restart, not made twice', async (t) => {
  const bridge = await startBridge({
    profile: { wrapUpSeconds: 0 },
    tuning: { retry: { firstMs: 60_000, maxMs: 60_000 } },
  });
  t.after(() => bridge.close());
  // Zendesk makes the ticket, then the connection breaks, on the client's retries too: the bridge
  // cannot know the ticket exists.
  bridge.zd.faults.next({ kind: 'drop', after: true, endpoint: TICKET, count: 3 });
  const call = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4930123456', talkMs: 100 });
  await call.done;
  await bridge.waitFor(
    () => bridge.logged(/no ticket for this call yet; trying again/).length >= 1,
    'the lost answer',
  );
  assert.equal(ticketsFor(bridge, call.linkedid).length, 1, 'Zendesk has it already');

  await bridge.restart();
  await bridge.waitFor(
    () => bridge.logged(/ticket found by its external_id/).length === 1,
    'the lookup by external_id',
  );
  const journal = journalOf(bridge);
  t.after(() => journal.close());
  await bridge.waitFor(() => journal.get(call.linkedid)?.wrappedUpAt !== undefined, 'the wrap-up');
  assert.equal(ticketsFor(bridge, call.linkedid).length, 1);
  assert.equal(journal.get(call.linkedid)?.ticketId, ticketsFor(bridge, call.linkedid)[0]?.id);
});

test('a start without the journal of the one that ticketed a talking call keeps that ticket: found at once, no ERROR, no second pop', async (t) => {
  const bridge = await startBridge({ profile: { wrapUpSeconds: 0 } });
  t.after(() => bridge.close());
  const call = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4930123456', talkMs: 4_000 });
  await bridge.waitFor(() => bridge.zd.pops.length === 1, 'the first start’s ticket and pop');
  const [ticket] = ticketsFor(bridge, call.linkedid);

  // The journal is lost (a restored backup, another bridge taking over): the next start knows
  // nothing of the call, the PBX says it is talking, and its ticket's comment gets another
  // answer time. (The rest of the state directory stays: the OAuth tokens rotate.)
  await bridge.daemon.stop();
  const journalFile = CallJournal.fileFor(path.join(bridge.workDir, 'state'), 'main');
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${journalFile}${suffix}`, { force: true });
  const since = bridge.mark();
  await bridge.restart();
  await bridge.waitFor(
    () => bridge.logged(/ticket found by its external_id/).length === 1,
    'the existing ticket, found',
    1_500, // well before the first retry (2 s): no wait, no retry
  );
  assert.deepEqual(
    since()
      .filter((r) => r.endpoint === TICKET || r.endpoint === 'GET /api/v2/tickets')
      .map((r) => [r.endpoint, r.status]),
    [
      [TICKET, 400],
      ['GET /api/v2/tickets', 200],
    ],
  );
  assert.equal(bridge.logged(/ticket found by its external_id/)[0]?.ticketId, ticket?.id);
  assert.deepEqual(bridge.logged(/./, 'error'), []);
  assert.equal(ticketsFor(bridge, call.linkedid).length, 1);
  assert.equal(bridge.zd.pops.length, 1, 'not popped again');

  await call.done;
  const journal = journalOf(bridge);
  t.after(() => journal.close());
  await bridge.waitFor(() => journal.get(call.linkedid)?.wrappedUpAt !== undefined, 'the wrap-up');
  assert.equal(journal.get(call.linkedid)?.ticketId, ticket?.id);
  assert.match(bridge.zd.state.comments(ticket!.id).at(-1)?.body ?? '', /Call facts/);
});

test('the journal keeps finished calls a day, then compacts them away', () => {
  const dir = path.join(process.env.TMPDIR ?? '/tmp', `cti-journal-${process.pid}-${Date.now()}`);
  let now = 1_000_000;
  const journal = CallJournal.open(path.join(dir, 'main.journal.sqlite'), () => now);
  try {
    const answered = {
      type: 'CallAnswered' as const,
      callId: 'x1',
      queue: 'support',
      caller: { num: '+4930123456', name: 'Erika' },
      agent: { interface: 'Local/101@agents', name: 'Anna Agent', extension: '101' },
      channel: 'Local/s@inbound-support-00000001;2',
      holdSec: 1,
      at: now,
    };
    assert.equal(journal.answered(answered), true);
    assert.equal(journal.answered(answered), false, 'an answer seen twice is journaled once');
    journal.ticketCreated('x1', 7, { userId: 5, origin: 'caller' });
    journal.ended(
      {
        type: 'CallEnded',
        callId: 'x1',
        queue: 'support',
        reason: 'caller',
        holdSec: 1,
        talkSec: 9,
        at: now,
      },
      now + 30_000,
    );
    assert.deepEqual(
      journal.unfinished().map((c) => [c.callId, c.ticketId, c.wrapUpDueAt]),
      [['x1', 7, now + 30_000]],
    );
    journal.wrappedUp('x1');
    assert.deepEqual(journal.unfinished(), []);
    assert.equal(journal.compact(now - 1), 0, 'kept within the day');
    now += 86_400_001;
    assert.equal(journal.compact(now - 86_400_000), 1);
    assert.equal(journal.get('x1'), undefined);
  } finally {
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
