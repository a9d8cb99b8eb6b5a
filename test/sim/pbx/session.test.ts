import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { type FakePbx, startFakePbx } from '../../../src/sim/pbx/fake-pbx.ts';
import { AmiTestClient } from './ami-test-client.ts';

describe('fake PBX sessions', () => {
  let pbx: FakePbx;
  const clients: AmiTestClient[] = [];
  const connect = async (login = false) => {
    const c = login ? await AmiTestClient.loggedIn(pbx.port) : await AmiTestClient.connect(pbx.port);
    clients.push(c);
    return c;
  };
  beforeEach(async () => {
    pbx = await startFakePbx({ authTimeoutMs: 2000 });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await pbx.close();
  });

  test('banner on connect; pbx.url and the session list', async () => {
    const c = await connect();
    assert.equal(c.parser.banner, 'Asterisk Call Manager/11.0.0');
    assert.equal(pbx.url, `ami://127.0.0.1:${pbx.port}`);
    assert.equal(pbx.sessions.length, 1);
    assert.equal(pbx.sessions[0]!.authenticated, false);
  });

  test('a failed login is answered after about a second, then the PBX closes the socket', async () => {
    const c = await connect();
    const started = Date.now();
    c.send({ Action: 'Login', ActionID: 'l1', Username: 'bridge', Secret: 'wrong' });
    c.send({ Action: 'Ping', ActionID: 'p1' }); // Asterisk is asleep; nothing more is answered
    await c.closed;
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 900 && elapsed < 2500, `closed after ${elapsed} ms`);
    assert.deepEqual(
      c.messages.map((m) => m.pairs),
      [
        [
          ['Response', 'Error'],
          ['ActionID', 'l1'],
          ['Message', 'Authentication failed'],
        ],
      ],
    );
  });

  test('actions before login are refused with Permission denied, unknown ones too', async () => {
    const c = await connect();
    for (const action of ['Ping', 'QueueStatus', 'NoSuchThing']) {
      const reply = await c.action({ Action: action, ActionID: `x-${action}` });
      assert.deepEqual(reply.pairs, [
        ['Response', 'Error'],
        ['ActionID', `x-${action}`],
        ['Message', 'Permission denied'],
      ]);
    }
    pbx.placeCall({ queue: 'support', callerNum: '+4930123456', talkMs: 10 });
    await delay(150);
    assert.equal(c.events().length, 0, 'no events before login');
  });

  test('unknown actions, a missing Action and a missing ActionID after login', async () => {
    const c = await connect(true);
    const reply = await c.action({ Action: 'Originate', Channel: 'Local/s@x' });
    assert.equal(reply.get('Response'), 'Error');
    assert.equal(
      reply.get('Message'),
      'Invalid/unknown command: Originate. Use Action: ListCommands to show available commands.',
    );
    const missing = await c.action({ Channel: 'x' });
    assert.equal(missing.get('Message'), 'Missing action in request');
    const from = c.messages.length;
    c.send({ Action: 'Ping' });
    const pong = await c.waitFor(() => c.messages.slice(from).find((m) => m.kind === 'response'), 'pong');
    assert.deepEqual(
      pong.pairs.map(([k]) => k),
      ['Response', 'Ping', 'Timestamp'],
    );
    assert.match(pong.get('Timestamp')!, /^\d{10}\.\d{6}$/);
  });

  test('Logoff says goodbye like Asterisk and closes the socket', async () => {
    const c = await connect(true);
    c.send({ Action: 'Logoff', ActionID: 'bye' });
    await c.closed;
    assert.deepEqual(c.messages.at(-1)!.pairs, [
      ['Response', 'Goodbye'],
      ['ActionID', 'bye'],
      ['Message', 'Thanks for all the fish.'],
    ]);
  });

  test('Events: off at login means no FullyBooted and no call events; Events action turns them on', async () => {
    const quiet = await AmiTestClient.loggedIn(pbx.port, { Events: 'off' });
    clients.push(quiet);
    const loud = await connect(true);
    assert.equal(loud.events('FullyBooted').length, 1);
    await pbx.placeCall({ queue: 'sales', callerNum: '+12125550100', talkMs: 10 }).done;
    await loud.waitForEvent('Hangup');
    assert.equal(quiet.events().length, 0);
    const on = await quiet.action({ Action: 'Events', EventMask: 'on' });
    assert.equal(on.get('Events'), 'On');
    await pbx.placeCall({ queue: 'sales', callerNum: '+12125550100', talkMs: 10 }).done;
    await quiet.waitForEvent('Hangup');
  });

  test('an unauthenticated session is closed after authtimeout', async () => {
    await pbx.close();
    pbx = await startFakePbx({ authTimeoutMs: 50 });
    const c = await connect();
    await c.closed;
    assert.equal(c.messages.length, 0);
  });

  test('dropConnections cuts every client at once', async () => {
    const a = await connect(true);
    const b = await connect();
    pbx.dropConnections();
    await Promise.all([a.closed, b.closed]);
    await delay(10);
    assert.equal(pbx.sessions.length, 0);
    // The PBX still accepts new connections.
    const again = await connect(true);
    assert.equal(again.events('FullyBooted').length, 1);
  });

  test('every received action is recorded with its fields', async () => {
    const c = await connect(true);
    await c.action({ Action: 'Getvar', ActionID: 'g1', Variable: 'X' });
    const recorded = pbx.actionsReceived.find((a) => a.action === 'Getvar');
    assert.deepEqual(recorded?.fields, { Action: 'Getvar', ActionID: 'g1', Variable: 'X' });
    assert.equal(pbx.actionsReceived[0]!.action, 'Login');
  });
});
