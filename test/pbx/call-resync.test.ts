import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CallEvent } from '../../src/calls/events.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { AmiClient } from '../../src/pbx/ami-client.ts';
import { AmiMessage } from '../../src/pbx/ami-codec.ts';
import { callEventFromAmi } from '../../src/pbx/call-events-from-ami.ts';
import { CallResync, type KnownCall, reconcile } from '../../src/pbx/call-resync.ts';
import { interfaceOfChannel, type PbxCall, pbxCalls, readPbxCalls } from '../../src/pbx/pbx-calls.ts';
import { type FakePbx, startFakePbx } from '../../src/sim/pbx/fake-pbx.ts';
import { Secret } from '../../src/util/secret.ts';
import { loadTranscript, receivedEvents, receivedMessages } from '../support/ami-transcripts.ts';
import { captureLogs } from '../support/log-capture.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';

const QUEUES = new Set(['support', 'sales']);
const NOW = 1_795_306_000_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function messageOf(fields: Record<string, string | string[]>): AmiMessage {
  return new AmiMessage(Object.entries(fields).map(([k, v]) => [k, Array.isArray(v) ? v[0]! : v]));
}

function client(pbx: FakePbx, logger = silentLogger(), firstRetryMs = 50): AmiClient {
  return new AmiClient({
    host: '127.0.0.1',
    port: pbx.port,
    username: 'bridge',
    secret: new Secret(TEST_SECRETS.amiSecret, 'test'),
    logger,
    firstRetryMs,
    maxRetryMs: firstRetryMs,
    actionTimeoutMs: 2_000,
  });
}

async function connected(pbx: FakePbx, logger = silentLogger(), firstRetryMs = 50) {
  const ami = client(pbx, logger, firstRetryMs);
  ami.start();
  await until(() => ami.state === 'up', 'the AMI login');
  return ami;
}

/**
 * What CallHandler does with the events, reduced to its states: a second answer is ignored, an end
 * of a call without an answer forgets it, an end of an unknown call is ignored.
 */
class HandlerModel {
  readonly calls = new Map<string, { queue: string; state: 'queued' | 'answered' }>();
  readonly answers = new Map<string, CallEvent & { type: 'CallAnswered' }>();
  readonly answerCount = new Map<string, number>();
  readonly ended = new Map<string, CallEvent & { type: 'CallEnded' }>();

  handle(event: CallEvent): void {
    if (!QUEUES.has(event.queue)) return;
    const call = this.calls.get(event.callId);
    switch (event.type) {
      case 'CallQueued':
        if (!call) this.calls.set(event.callId, { queue: event.queue, state: 'queued' });
        break;
      case 'CallAnswered':
        if (call?.state === 'answered') break;
        this.calls.set(event.callId, { queue: event.queue, state: 'answered' });
        this.answers.set(event.callId, event);
        this.answerCount.set(event.callId, (this.answerCount.get(event.callId) ?? 0) + 1);
        break;
      case 'CallEnded':
        if (!call) break;
        this.calls.delete(event.callId);
        if (call.state === 'answered') this.ended.set(event.callId, event);
        break;
      case 'CallAbandoned':
        this.calls.delete(event.callId);
        break;
    }
  }

  inProgress(): KnownCall[] {
    return [...this.calls].map(([callId, c]) => ({ callId, ...c }));
  }
}

test('member legs name their queue member: channel minus its suffix is AgentConnect Interface (transcripts a, b, e)', () => {
  for (const letter of ['a', 'b', 'e']) {
    const connects = receivedEvents(loadTranscript(letter)).filter((e) => e.name === 'AgentConnect');
    assert.equal(connects.length, 1);
    const { DestChannel, Interface } = connects[0]!.fields as Record<string, string>;
    assert.equal(interfaceOfChannel(DestChannel!), Interface, letter);
  }
  assert.equal(interfaceOfChannel('PJSIP/101-0000000a'), 'PJSIP/101');
});

test('an idle PBX (transcript f: its QueueStatus and CoreShowChannels) has no calls', () => {
  const messages = receivedMessages(loadTranscript('f')).filter((m) => m.kind === 'event');
  const queueStatus = messages
    .filter((m) => ['QueueParams', 'QueueMember', 'QueueEntry'].includes(m.name))
    .map((m) => messageOf(m.fields));
  const channels = messages.filter((m) => m.name === 'CoreShowChannel').map((m) => messageOf(m.fields));
  assert.equal(queueStatus.length, 5);
  assert.deepEqual(pbxCalls(queueStatus, channels), []);
});

test('readPbxCalls: waiting callers, answered calls with member and queue caller channel, nothing of ended calls', async (t) => {
  const pbx = await startFakePbx({ users: { bridge: TEST_SECRETS.amiSecret } });
  const ami = await connected(pbx);
  t.after(async () => {
    await ami.stop();
    await pbx.close();
  });
  const known = pbx.placeCall({
    queue: 'support',
    callerNum: '+4930123456',
    callerName: 'Erika Mustermann',
    script: [{ ring: '102', ms: 20, outcome: 'answer' }],
    talkMs: 5_000,
  });
  const noCallerId = pbx.placeCall({
    queue: 'sales',
    script: [{ ring: '201', ms: 20, outcome: 'answer' }],
    talkMs: 5_000,
  });
  const withheld = pbx.placeCall({
    queue: 'sales',
    callerNum: 'anonymous',
    script: [],
    abandonAfterMs: 5_000,
  });
  const ringing = pbx.placeCall({
    queue: 'support',
    callerNum: '+12125550100',
    script: [{ ring: '101', ms: 5_000, outcome: 'answer' }],
    abandonAfterMs: 4_000,
  });
  const over = pbx.placeCall({
    queue: 'support',
    script: [{ ring: '101', ms: 10, outcome: 'answer' }],
    talkMs: 20,
  });
  await over.done;
  await until(() => known.agentChannel !== undefined && noCallerId.agentChannel !== undefined, 'the answers');

  const calls = await readPbxCalls(ami);
  const byId = new Map(calls.map((c) => [c.callId, c]));
  assert.deepEqual(byId.get(known.linkedid), {
    state: 'answered',
    callId: known.linkedid,
    queues: ['support'],
    caller: { num: '+4930123456', name: 'Erika Mustermann' },
    channel: known.callerChannel,
    agent: { interface: 'Local/102@agents', name: 'Ben Berger', extension: '102' },
  });
  assert.deepEqual(byId.get(noCallerId.linkedid), {
    state: 'answered',
    callId: noCallerId.linkedid,
    queues: ['sales'],
    // The queue caller's own caller ID, never the member leg's (the queue name there).
    caller: { num: '<unknown>', name: '<unknown>' },
    channel: noCallerId.callerChannel,
    agent: { interface: 'Local/201@agents', name: 'Carla Sales', extension: '201' },
  });
  assert.deepEqual(byId.get(withheld.linkedid), {
    state: 'waiting',
    callId: withheld.linkedid,
    queue: 'sales',
    caller: { num: 'anonymous', name: 'Anonymous' },
  });
  assert.deepEqual(byId.get(ringing.linkedid), {
    state: 'waiting',
    callId: ringing.linkedid,
    queue: 'support',
    caller: { num: '+12125550100', name: '<unknown>' },
  });
  assert.equal(byId.has(over.linkedid), false, 'an ended call is not listed');
  assert.equal(calls.length, 4);
});

const support = (callId: string, state: KnownCall['state']): KnownCall => ({
  callId,
  queue: 'support',
  state,
});
const caller = { num: '+4930123456', name: 'Erika Mustermann' };
const agent = { interface: 'Local/101@agents', name: 'Anna Agent', extension: '101' };
const answeredNow = (callId: string, queues = ['support']): PbxCall => ({
  state: 'answered',
  callId,
  queues,
  caller,
  channel: `Local/s@inbound-support-${callId};2`,
  agent,
});

test('reconcile: unknown waiting caller → CallQueued; unknown or queued answered call → CallAnswered; known ones alone', () => {
  const events = reconcile({
    pbx: [
      { state: 'waiting', callId: 'w-new', queue: 'support', caller },
      { state: 'waiting', callId: 'w-known', queue: 'support', caller },
      { state: 'waiting', callId: 'w-other-queue', queue: 'billing', caller },
      answeredNow('a-new', ['sales']),
      answeredNow('a-was-queued', ['support', 'sales']),
      answeredNow('a-known'),
      answeredNow('a-no-queue', ['billing']),
    ],
    before: [
      support('w-known', 'queued'),
      { ...support('a-was-queued', 'queued'), queue: 'sales' },
      support('a-known', 'answered'),
    ],
    after: [
      support('w-known', 'queued'),
      { ...support('a-was-queued', 'queued'), queue: 'sales' },
      support('a-known', 'answered'),
    ],
    queues: QUEUES,
    now: NOW,
    logger: silentLogger(),
  });
  assert.deepEqual(events, [
    { type: 'CallQueued', callId: 'w-new', queue: 'support', caller, at: NOW },
    {
      type: 'CallAnswered',
      callId: 'a-new',
      queue: 'sales',
      caller,
      agent,
      channel: 'Local/s@inbound-support-a-new;2',
      holdSec: 0,
      at: NOW,
    },
    {
      type: 'CallAnswered',
      callId: 'a-was-queued',
      queue: 'sales', // the handler's queue wins over the member's first
      caller,
      agent,
      channel: 'Local/s@inbound-support-a-was-queued;2',
      holdSec: 0,
      at: NOW,
    },
  ]);
});

test('reconcile: a call known since before the reconnect that is no longer waiting nor talking → CallEnded', () => {
  const events = reconcile({
    pbx: [
      { state: 'up', callId: 'hanging-up' },
      { state: 'waiting', callId: 'waiting', queue: 'support', caller },
    ],
    before: [
      support('gone-answered', 'answered'),
      support('gone-queued', 'queued'),
      support('hanging-up', 'answered'),
      support('waiting', 'queued'),
      support('ended-live', 'answered'),
    ],
    // `joined-meanwhile` joined while the lists were read: absent from them, but not over.
    after: [
      support('gone-answered', 'answered'),
      support('gone-queued', 'queued'),
      support('hanging-up', 'answered'),
      support('waiting', 'queued'),
      support('joined-meanwhile', 'queued'),
    ],
    queues: QUEUES,
    now: NOW,
    logger: silentLogger(),
  });
  const ended = (callId: string) => ({
    type: 'CallEnded',
    callId,
    queue: 'support',
    reason: 'unknown',
    holdSec: 0,
    talkSec: 0,
    at: NOW,
  });
  assert.deepEqual(events, [ended('gone-answered'), ended('gone-queued'), ended('hanging-up')]);
});

test('reconcile: calls with live events are left to them, except an AgentComplete of an answer the link lost', () => {
  const a = receivedEvents(loadTranscript('a'));
  const complete = messageOf(a.find((e) => e.name === 'AgentComplete')!.fields);
  const connect = messageOf(a.find((e) => e.name === 'AgentConnect')!.fields);
  const callId = complete.get('Linkedid')!;
  const run = (before: KnownCall[], live: AmiMessage[]) =>
    reconcile({
      pbx: [answeredNow('talking-live')],
      before,
      after: [],
      queues: QUEUES,
      now: NOW,
      logger: silentLogger(),
      live: new Map([
        [callId, live],
        ['talking-live', [connect]],
      ]),
    });
  const ended = callEventFromAmi(complete, NOW);
  assert.ok(ended && 'event' in ended);
  const lostAnswer = {
    type: 'CallAnswered',
    callId,
    queue: 'support',
    caller: { num: '+4930123456', name: 'Erika Mustermann' },
    agent: { interface: 'Local/101@agents', name: 'Anna Agent', extension: '101' },
    channel: 'Local/s@inbound-support-00000000;2',
    holdSec: 2,
    at: NOW,
  };
  // Queued before the cut, answered while down, AgentComplete after the reconnect: the handler
  // dropped that end (no ticket yet), so the answer and the end are both made again.
  assert.deepEqual(run([support(callId, 'queued')], [complete]), [lostAnswer, ended.event]);
  assert.deepEqual(run([], [complete]), [lostAnswer, ended.event]);
  // Known as answered, or its AgentConnect came live: the live events did it all.
  assert.deepEqual(run([support(callId, 'answered')], [complete]), []);
  assert.deepEqual(run([], [connect, complete]), []);
});

test('calls queued, answered and ended while the AMI link is down are rebuilt after the reconnect', async (t) => {
  const pbx = await startFakePbx({ users: { bridge: TEST_SECRETS.amiSecret } });
  const logs = captureLogs();
  const model = new HandlerModel();
  // The reconnect waits 500 to 1 000 ms (backoff with jitter): the outage is at least 500 ms.
  const ami = client(pbx, logs.logger, 1_000);
  ami.onEvent((message) => {
    const translated = callEventFromAmi(message, Date.now());
    if (translated && 'event' in translated) model.handle(translated.event);
  });
  const resync = new CallResync({
    ami,
    known: () => model.inProgress(),
    queues: QUEUES,
    dispatch: (event) => model.handle(event),
    logger: logs.logger,
  });
  let ups = 0;
  ami.onUp(() => {
    if (ups++ === 0) resync.skip();
    else resync.request();
  });
  ami.start();
  await until(() => ami.state === 'up', 'the AMI login');
  t.after(async () => {
    await ami.stop();
    await pbx.close();
  });

  const talk = 4_000;
  // Before the cut: one call talking (it hangs up during the outage), one waiting (answered
  // during the outage), one waiting throughout.
  const endsWhileDown = pbx.placeCall({
    queue: 'support',
    callerNum: '+4930123456',
    script: [{ ring: '101', ms: 10, outcome: 'answer' }],
    talkMs: 300,
  });
  const answeredWhileDown = pbx.placeCall({
    queue: 'support',
    callerNum: '+12125550100',
    callerName: 'John Smith',
    script: [{ ring: '102', ms: 350, outcome: 'answer' }],
    talkMs: talk,
  });
  const waitsThroughout = pbx.placeCall({
    queue: 'sales',
    callerNum: '+4922133344',
    script: [],
    abandonAfterMs: 3_000,
  });
  await until(
    () => model.answerCount.has(endsWhileDown.linkedid) && model.calls.size === 3,
    'three calls known',
  );
  pbx.dropConnections();
  const cutAt = Date.now();
  await until(() => ami.state !== 'up', 'the link down');
  // During the outage: a caller joins and waits, one joins and is answered, one joins and gives up.
  const joinsWhileDown = pbx.placeCall({
    queue: 'sales',
    callerNum: 'anonymous',
    script: [],
    abandonAfterMs: 3_000,
  });
  const newAndAnswered = pbx.placeCall({
    queue: 'sales',
    script: [{ ring: '201', ms: 30, outcome: 'answer' }],
    talkMs: talk,
  });
  const abandonsWhileDown = pbx.placeCall({
    queue: 'support',
    callerNum: '+4915112345678',
    script: [],
    abandonAfterMs: 60,
  });
  await abandonsWhileDown.done;
  await endsWhileDown.done;
  await until(
    () => answeredWhileDown.agentChannel !== undefined && newAndAnswered.agentChannel !== undefined,
    'the answers',
  );
  assert.equal(
    ami.state === 'up',
    false,
    `all of that happened while the link was down (${Date.now() - cutAt} ms)`,
  );

  await until(
    () => logs.records().some((r) => r.msg === 'calls rebuilt after the AMI reconnect'),
    'the resync',
    3_000,
  );
  await resync.running;
  const rebuilt = logs.records().find((r) => r.msg === 'calls rebuilt after the AMI reconnect')!;
  assert.deepEqual([rebuilt.queued, rebuilt.answered, rebuilt.ended], [1, 2, 1]);

  assert.deepEqual(model.calls.get(joinsWhileDown.linkedid), { queue: 'sales', state: 'queued' });
  assert.deepEqual(model.calls.get(waitsThroughout.linkedid), { queue: 'sales', state: 'queued' });
  assert.equal(model.calls.has(endsWhileDown.linkedid), false, 'the call that ended while down is over');
  assert.equal(model.ended.get(endsWhileDown.linkedid)?.reason, 'unknown');
  assert.equal(model.calls.has(abandonsWhileDown.linkedid), false);
  const answer = model.answers.get(answeredWhileDown.linkedid);
  assert.deepEqual(answer && { ...answer, at: 0 }, {
    type: 'CallAnswered',
    callId: answeredWhileDown.linkedid,
    queue: 'support',
    caller: { num: '+12125550100', name: 'John Smith' },
    agent: { interface: 'Local/102@agents', name: 'Ben Berger', extension: '102' },
    channel: answeredWhileDown.callerChannel,
    holdSec: 0,
    at: 0,
  });
  assert.equal(model.answers.get(newAndAnswered.linkedid)?.channel, newAndAnswered.callerChannel);
  assert.equal(model.answers.get(newAndAnswered.linkedid)?.queue, 'sales');

  // The rest comes live: every call ends, each answered one was answered exactly once.
  await Promise.all([answeredWhileDown.done, newAndAnswered.done, joinsWhileDown.done, waitsThroughout.done]);
  await until(() => model.calls.size === 0, 'every call over');
  for (const call of [endsWhileDown, answeredWhileDown, newAndAnswered]) {
    assert.equal(model.answerCount.get(call.linkedid), 1, call.linkedid);
  }
  assert.equal(model.answerCount.has(abandonsWhileDown.linkedid), false);
});

test('CallResync: one run at a time; a failed run is logged at WARN and the next reconnect runs again', async () => {
  const logs = captureLogs();
  const listeners: Array<(m: AmiMessage) => void> = [];
  let calls = 0;
  let release: (() => void) | undefined;
  const ami = {
    onEvent(listener: (m: AmiMessage) => void) {
      listeners.push(listener);
      return () => {};
    },
    async list(fields: Record<string, unknown>) {
      calls++;
      if (calls === 1) throw new Error('AMI link lost');
      if (calls === 2) await new Promise<void>((resolve) => (release = resolve));
      const ok = messageOf({ Response: 'Success', EventList: 'start' });
      const done = messageOf({
        Event: `${String(fields.Action)}Complete`,
        EventList: 'Complete',
        ListItems: '0',
      });
      return { response: ok, items: [], complete: done };
    },
  };
  const dispatched: CallEvent[] = [];
  const resync = new CallResync({
    ami,
    known: () => [support('gone', 'answered')],
    queues: QUEUES,
    dispatch: (event) => dispatched.push(event),
    logger: logs.logger,
  });
  resync.request();
  await resync.running;
  assert.equal(
    logs.records().filter((r) => r.level === 'warn' && /not rebuilt/.test(String(r.msg))).length,
    1,
  );
  assert.equal(dispatched.length, 0);

  resync.request();
  resync.request(); // a reconnect during the run: once more afterwards
  await until(() => release !== undefined, 'the second run');
  assert.equal(calls, 2, 'the second request waits for the first run');
  release!();
  await until(() => dispatched.length === 2 && resync.running === undefined, 'both runs');
  assert.deepEqual(
    dispatched.map((e) => [e.type, e.callId]),
    [
      ['CallEnded', 'gone'],
      ['CallEnded', 'gone'],
    ],
  );
});

test('after the first sync, calls restored from the journal and gone from the PBX are ended, whenever FullyBooted came', async (t) => {
  // One message per event-loop turn: the login's Response and FullyBooted arrive in two reads, so
  // FullyBooted is parsed after the link is up (as Asterisk's two writes often arrive).
  const pbx = await startFakePbx({
    users: { bridge: TEST_SECRETS.amiSecret },
    splitWrites: { seed: 1, maxPieces: 1 },
  });
  const logs = captureLogs();
  const model = new HandlerModel();
  const ami = client(pbx, logs.logger, 1_000);
  let booted = false;
  ami.onEvent((message) => {
    if (message.name === 'FullyBooted') booted = true;
  });
  const resync = new CallResync({
    ami,
    known: () => model.inProgress(),
    queues: QUEUES,
    dispatch: (event) => model.handle(event),
    logger: logs.logger,
  });
  // The first login: the start-up sync runs instead of a resync (as in CallIntegration).
  ami.onUp(() => resync.skip());
  ami.start();
  t.after(async () => {
    await ami.stop();
    await pbx.close();
  });
  await until(() => booted, 'FullyBooted after the login');
  // The sync has finished; the journal gives back a call answered before the restart, over since.
  model.handle({
    type: 'CallAnswered',
    callId: '1795300000.1',
    queue: 'support',
    at: Date.now(),
    caller: { num: '+4930123456', name: 'Erika' },
    agent: { name: 'Anna Agent', interface: 'Local/101@agents', extension: '101' },
    channel: 'PJSIP/trunk-00000001',
    holdSec: 3,
  });
  resync.request();
  await resync.running;
  assert.equal(model.ended.has('1795300000.1'), true, 'the restored call is ended');
});

test('a FullyBooted that arrives after the link is up opens no window: a journal restore after the first sync is still seen', async () => {
  const logs = captureLogs();
  const listeners: Array<(m: AmiMessage) => void> = [];
  const emptyList = async (fields: Record<string, unknown>) => ({
    response: messageOf({ Response: 'Success', EventList: 'start' }),
    items: [],
    complete: messageOf({ Event: `${String(fields.Action)}Complete`, EventList: 'Complete', ListItems: '0' }),
  });
  const ami = {
    state: 'connecting',
    onEvent(listener: (m: AmiMessage) => void) {
      listeners.push(listener);
      return () => {};
    },
    list: emptyList,
  };
  let known: ReturnType<typeof support>[] = [];
  const dispatched: CallEvent[] = [];
  const resync = new CallResync({
    ami,
    known: () => known,
    queues: QUEUES,
    dispatch: (event) => dispatched.push(event),
    logger: logs.logger,
  });
  const fullyBooted = messageOf({ Event: 'FullyBooted', Privilege: 'system,all', Status: 'Fully Booted' });
  // The Response and FullyBooted in two TCP segments: the up listeners (skip: the first login)
  // run before FullyBooted is parsed.
  ami.state = 'up';
  resync.skip();
  for (const listener of listeners) listener(fullyBooted);
  // The start-up sync finishes, the journal gives back a call answered before the restart.
  known = [support('restored', 'answered')];
  resync.request();
  await resync.running;
  assert.deepEqual(
    dispatched.map((e) => [e.type, e.callId]),
    [['CallEnded', 'restored']],
  );

  // On a reconnect whose FullyBooted comes before the up listeners, the window opens there: a
  // call the handler learns of only afterwards is not ended by this run.
  dispatched.length = 0;
  ami.state = 'connecting';
  known = [];
  for (const listener of listeners) listener(fullyBooted);
  ami.state = 'up';
  known = [support('joined-later', 'queued')];
  resync.request();
  await resync.running;
  assert.deepEqual(dispatched, []);
});
