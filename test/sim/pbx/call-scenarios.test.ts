import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { AmiMessage } from '../../../src/pbx/ami-codec.ts';
import type { CallSpec } from '../../../src/sim/pbx/call-script.ts';
import { type FakePbx, startFakePbx } from '../../../src/sim/pbx/fake-pbx.ts';
import { AmiTestClient } from './ami-test-client.ts';

const index = (events: AmiMessage[], name: string, from = 0) =>
  events.findIndex((m, i) => i >= from && m.name === name);

/** Events of one call: those carrying its Linkedid in any (Dest/LocalOne/…) field. */
const ofCall = (events: AmiMessage[], linkedid: string) =>
  events.filter((m) => m.pairs.some(([k, v]) => k.endsWith('Linkedid') && v === linkedid));

describe('scripted calls', () => {
  let pbx: FakePbx;
  let c: AmiTestClient;
  beforeEach(async () => {
    pbx = await startFakePbx({ seed: 7 });
    c = await AmiTestClient.loggedIn(pbx.port);
  });
  afterEach(async () => {
    await c.close();
    await pbx.close();
  });

  const run = async (spec: CallSpec) => {
    const call = pbx.placeCall(spec);
    const result = await call.done;
    await c.waitFor(
      () => ofCall(c.events(), call.linkedid).filter((m) => m.name === 'Hangup').length >= 2,
      'hangups',
    );
    await delay(20);
    return { call, result, events: ofCall(c.events(), call.linkedid) };
  };

  test('a member that does not answer, then another who does', async () => {
    const { call, result, events } = await run({
      queue: 'support',
      callerNum: '+4930123456',
      callerName: 'Erika Mustermann',
      script: [
        { ring: 'Local/101@agents', ms: 60, outcome: 'noanswer' },
        { ring: 'Local/102@agents', ms: 40, outcome: 'answer' },
      ],
      talkMs: 30,
    });
    assert.deepEqual(result, { outcome: 'answered', agent: 'Ben Berger' });
    const rna = events[index(events, 'AgentRingNoAnswer')]!;
    assert.equal(rna.get('Interface'), 'Local/101@agents');
    assert.equal(rna.get('RingTime'), '60', 'AgentRingNoAnswer RingTime is in milliseconds');
    assert.equal(rna.get('Channel'), call.callerChannel);
    const firstLeg = rna.get('DestChannel')!;
    assert.match(firstLeg, /^Local\/101@agents-[0-9a-f]{8};1$/);
    const dialEnds = events.filter((m) => m.name === 'DialEnd' && m.get('DestChannel') === firstLeg);
    assert.deepEqual(
      dialEnds.map((m) => m.get('DialStatus')),
      ['NOANSWER', 'CANCEL'],
    );
    const firstLegHangup = events.find((m) => m.name === 'Hangup' && m.get('Channel') === firstLeg)!;
    assert.equal(firstLegHangup.get('Cause'), '0');
    const called = events.filter((m) => m.name === 'AgentCalled').map((m) => m.get('MemberName'));
    assert.deepEqual(called, ['Anna Agent', 'Ben Berger']);
    assert.ok(index(events, 'AgentRingNoAnswer') < events.findLastIndex((m) => m.name === 'AgentCalled'));
    const connect = events[index(events, 'AgentConnect')]!;
    assert.equal(connect.get('MemberName'), 'Ben Berger');
    assert.equal(connect.get('DestChannel'), call.agentChannel);
    assert.equal(connect.get('RingTime'), '0', 'AgentConnect RingTime is in seconds');
    assert.ok(index(events, 'QueueCallerLeave') < index(events, 'AgentConnect'));
    assert.ok(index(events, 'AgentConnect') < index(events, 'BridgeEnter'));
    assert.equal(events.filter((m) => m.name === 'Hangup').length, 6);
  });

  test('no caller ID: <unknown> everywhere, and the queue name as the agent leg caller ID', async () => {
    const call = pbx.placeCall({ queue: 'support', talkMs: 300 });
    const connect = await c.waitForEvent('AgentConnect', (m) => m.get('Linkedid') === call.linkedid);
    assert.equal(connect.get('CallerIDNum'), '<unknown>');
    assert.equal(connect.get('CallerIDName'), '<unknown>');
    assert.equal(connect.get('DestCallerIDNum'), 'support');
    assert.equal(connect.get('DestCallerIDName'), '<unknown>');
    const num = await c.action({ Action: 'Getvar', Channel: call.callerChannel, Variable: 'CALLERID(num)' });
    assert.equal(num.get('Value'), '');
    await call.done;
    const events = ofCall(c.events(), call.linkedid);
    const inboundCallerIds = events.filter(
      (m) => m.name === 'NewCallerid' && m.get('Channel')!.startsWith('Local/s@inbound-'),
    );
    assert.equal(inboundCallerIds.length, 0, 'nothing to set on the inbound legs');
    const join = events.find((m) => m.name === 'QueueCallerJoin')!;
    assert.equal(join.get('CallerIDNum'), '<unknown>');
  });

  test('withheld caller: anonymous/Anonymous in events, presentation only via Getvar', async () => {
    const call = pbx.placeCall({ queue: 'support', callerNum: 'anonymous', talkMs: 300 });
    const connect = await c.waitForEvent('AgentConnect', (m) => m.get('Linkedid') === call.linkedid);
    assert.equal(connect.get('CallerIDNum'), 'anonymous');
    assert.equal(connect.get('CallerIDName'), 'Anonymous');
    const pres = await c.action({
      Action: 'Getvar',
      Channel: call.callerChannel,
      Variable: 'CALLERID(num-pres)',
    });
    assert.equal(pres.get('Value'), 'prohib');
    await call.done;
  });

  test('abandon with no member rung (an empty script: all busy): no agent legs at all', async () => {
    const { result, events } = await run({
      queue: 'sales',
      callerNum: '+12125550100',
      script: [],
      abandonAfterMs: 30,
    });
    assert.deepEqual(result, { outcome: 'abandoned' });
    const names = events.map((m) => m.name);
    assert.ok(names.indexOf('QueueCallerAbandon') < names.indexOf('QueueCallerLeave'));
    assert.equal(names.filter((n) => n === 'Hangup').length, 2);
    const abandon = events.find((m) => m.name === 'QueueCallerAbandon')!;
    assert.deepEqual(
      abandon.pairs.slice(-4).map(([k]) => k),
      ['Queue', 'Position', 'OriginalPosition', 'HoldTime'],
    );
  });

  test('every observed ordering produces the same events, only in another order', async () => {
    const multiset = (events: AmiMessage[]) => events.map((m) => m.name).sort();
    for (const hangup of ['caller', 'agent'] as const) {
      const runs = [];
      for (const ordering of ['a', 'b', 'c', 'e'] as const) {
        runs.push(
          (await run({ queue: 'support', callerNum: '+4930123456', hangup, talkMs: 10, ordering })).events,
        );
      }
      for (const r of runs.slice(1)) assert.deepEqual(multiset(r), multiset(runs[0]!));
      assert.notDeepEqual(
        runs[0]!.map((m) => m.name),
        runs[3]!.map((m) => m.name),
      );
    }
  });

  test('bad scripts are refused up front', () => {
    assert.throws(() => pbx.placeCall({ queue: 'nope' }), /no queue named nope/);
    assert.throws(
      () => pbx.placeCall({ queue: 'sales', script: [{ ring: '101', ms: 1, outcome: 'answer' }] }),
      /not a member/,
    );
    assert.throws(
      () => pbx.placeCall({ queue: 'sales', script: [{ ring: '201', ms: 1, outcome: 'noanswer' }] }),
      /needs abandonAfterMs/,
    );
  });
});

describe('many interleaved calls', () => {
  test('50 overlapping calls keep their own linking and never cross-talk', async () => {
    const pbx = await startFakePbx({ seed: 42 });
    const c = await AmiTestClient.loggedIn(pbx.port);
    try {
      const calls = Array.from({ length: 50 }, (_, i) => {
        const queue = i % 3 === 0 ? 'sales' : 'support';
        const member = queue === 'sales' ? '201' : i % 2 ? '101' : '102';
        const abandoned = i % 5 === 0;
        return pbx.placeCall({
          queue,
          callerNum: i % 7 === 0 ? 'anonymous' : `+49301234${String(i).padStart(4, '0')}`,
          script: [{ ring: member, ms: 10 + (i % 4) * 15, outcome: abandoned ? 'noanswer' : 'answer' }],
          talkMs: 20 + (i % 6) * 10,
          hangup: i % 2 ? 'caller' : 'agent',
          ...(abandoned ? { abandonAfterMs: 30 } : {}),
          joinMs: i % 3,
        });
      });
      const results = await Promise.all(calls.map((call) => call.done));
      assert.equal(results.filter((r) => r.outcome === 'abandoned').length, 10);
      await delay(50);
      const events = c.events();
      const channelsOf = new Map<string, Set<string>>();
      for (const m of events.filter((e) => e.name === 'Newchannel')) {
        const set = channelsOf.get(m.get('Linkedid')!) ?? new Set();
        set.add(m.get('Channel')!);
        channelsOf.set(m.get('Linkedid')!, set);
      }
      assert.equal(channelsOf.size, 50);
      const bridgeOf = new Map<string, string>();
      for (const call of calls) {
        const own = channelsOf.get(call.linkedid)!;
        const mine = ofCall(events, call.linkedid);
        for (const m of mine) {
          for (const [k, v] of m.pairs) {
            if (k.endsWith('Channel') && v) assert.ok(own.has(v), `${m.name} of ${call.linkedid} names ${v}`);
            if (k.endsWith('Linkedid')) assert.equal(v, call.linkedid);
          }
          const bridge = m.get('BridgeUniqueid');
          if (bridge) {
            assert.equal(
              bridgeOf.get(bridge) ?? call.linkedid,
              call.linkedid,
              'a bridge belongs to one call',
            );
            bridgeOf.set(bridge, call.linkedid);
          }
        }
        const names = mine.map((m) => m.name);
        const at = (n: string) => names.indexOf(n);
        assert.ok(at('QueueCallerJoin') < at('AgentCalled'));
        assert.equal(names.filter((n) => n === 'Hangup').length, own.size, 'every channel hangs up once');
        if (names.includes('AgentConnect')) {
          assert.ok(at('QueueCallerLeave') < at('AgentConnect') && at('AgentConnect') < at('BridgeEnter'));
          assert.ok(at('AgentConnect') < at('AgentComplete'));
        } else {
          assert.ok(at('QueueCallerAbandon') < at('QueueCallerLeave'));
        }
      }
      const left = await c.listAction({ Action: 'CoreShowChannels' });
      assert.equal(left.complete.get('ListItems'), '0');
    } finally {
      await c.close();
      await pbx.close();
    }
  });
});
