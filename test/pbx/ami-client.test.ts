import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import type { CallEvent } from '../../src/calls/events.ts';
import { AmiClient } from '../../src/pbx/ami-client.ts';
import { AmiError } from '../../src/pbx/ami-errors.ts';
import { callEventFromAmi } from '../../src/pbx/call-events-from-ami.ts';
import { AmiPbxDirectory } from '../../src/pbx/pbx-directory.ts';
import { type FakePbx, startFakePbx } from '../../src/sim/pbx/fake-pbx.ts';
import { Secret } from '../../src/util/secret.ts';
import { captureLogs } from '../support/log-capture.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';

const USERS = { bridge: TEST_SECRETS.amiSecret };

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function client(
  port: number,
  logger: ReturnType<typeof captureLogs>['logger'],
  secret: string = TEST_SECRETS.amiSecret,
) {
  return new AmiClient({
    host: '127.0.0.1',
    port,
    username: 'bridge',
    secret: new Secret(secret, 'test'),
    logger,
    firstRetryMs: 50,
    maxRetryMs: 200,
    loginRetryMs: 300,
    actionTimeoutMs: 1_000,
  });
}

/** An AMI peer that accepts Login and then answers nothing at all. */
async function loginOnlyPeer() {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.write('Asterisk Call Manager/11.0.0\r\n');
    socket.on('data', (chunk) => {
      const id = /ActionID: (\S+)/.exec(String(chunk))?.[1];
      if (String(chunk).includes('Action: Login')) {
        socket.write(`Response: Success\r\nActionID: ${id}\r\nMessage: Authentication accepted\r\n\r\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    sockets,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function connected(pbx: FakePbx) {
  const logs = captureLogs();
  const ami = client(pbx.port, logs.logger);
  const events: CallEvent[] = [];
  ami.onEvent((message) => {
    const translated = callEventFromAmi(message, Date.now());
    if (translated && 'event' in translated) events.push(translated.event);
  });
  ami.start();
  await until(() => ami.state === 'up', 'login');
  return { ami, events, logs };
}

test('start-up lists: mailboxes with emails (`(null)` is none) and queues with members', async (t) => {
  const pbx = await startFakePbx({ users: USERS });
  const { ami } = await connected(pbx);
  t.after(async () => {
    await ami.stop();
    await pbx.close();
  });
  const directory = new AmiPbxDirectory(ami);
  const mailboxes = await directory.listMailboxes();
  assert.deepEqual(mailboxes, [
    { extension: '101', name: 'Anna Agent', email: 'anna.agent@example.com' },
    { extension: '102', name: 'Ben Berger', email: 'ben.berger@example.com' },
    { extension: '201', name: 'Carla Sales', email: 'carla.sales@example.com' },
    { extension: '999', name: 'Front Desk', email: undefined },
  ]);
  const queues = await directory.listQueues();
  assert.deepEqual(queues.map((q) => [q.name, q.members.map((m) => m.interface)]).sort(), [
    ['sales', ['Local/201@agents']],
    ['support', ['Local/101@agents', 'Local/102@agents']],
  ]);
});

test('queue calls become domain events keyed by Linkedid', async (t) => {
  const pbx = await startFakePbx({ users: USERS });
  const { ami, events } = await connected(pbx);
  t.after(async () => {
    await ami.stop();
    await pbx.close();
  });
  const known = pbx.placeCall({ queue: 'support', callerNum: '+4930123456', callerName: 'Erika Mustermann' });
  const noCallerId = pbx.placeCall({ queue: 'support', callerNum: '<unknown>', talkMs: 50 });
  const retry = pbx.placeCall({
    queue: 'support',
    callerNum: 'anonymous',
    script: [
      { ring: '101', ms: 40, outcome: 'noanswer' },
      { ring: '102', ms: 30, outcome: 'answer' },
    ],
    hangup: 'agent',
  });
  const abandon = pbx.placeCall({
    queue: 'support',
    callerNum: '+4915112345678',
    script: [{ ring: '101', ms: 1_000, outcome: 'noanswer' }],
    abandonAfterMs: 60,
  });
  await Promise.all([known.done, noCallerId.done, retry.done, abandon.done]);
  await until(
    () => events.filter((e) => e.type === 'CallEnded' || e.type === 'CallAbandoned').length === 4,
    'ends',
  );

  const of = (id: string) => events.filter((e) => e.callId === id).map((e) => e.type);
  assert.deepEqual(of(known.linkedid), ['CallQueued', 'CallAnswered', 'CallEnded']);
  assert.deepEqual(
    of(retry.linkedid),
    ['CallQueued', 'CallAnswered', 'CallEnded'],
    'one answer despite the retry',
  );
  assert.deepEqual(of(abandon.linkedid), ['CallQueued', 'CallAbandoned']);

  const answered = (id: string) =>
    events.find(
      (e): e is Extract<CallEvent, { type: 'CallAnswered' }> => e.callId === id && e.type === 'CallAnswered',
    )!;
  assert.deepEqual(answered(known.linkedid).agent, {
    interface: 'Local/101@agents',
    name: 'Anna Agent',
    extension: '101',
  });
  assert.equal(answered(known.linkedid).caller.num, '+4930123456');
  assert.equal(answered(known.linkedid).channel, known.callerChannel);
  assert.equal(answered(retry.linkedid).agent.name, 'Ben Berger');
  assert.equal(answered(retry.linkedid).caller.num, 'anonymous');
  // Without caller ID the member leg shows the queue name; the domain event never takes it for a number.
  assert.equal(answered(noCallerId.linkedid).caller.num, '<unknown>');
  const ended = events.find((e) => e.callId === retry.linkedid && e.type === 'CallEnded');
  assert.equal(ended?.type === 'CallEnded' && ended.reason, 'agent');
});

test('a refused login is reported as such, retried slowly, and the secret never logged', async (t) => {
  const pbx = await startFakePbx({ users: USERS, loginFailureDelayMs: 20 });
  const logs = captureLogs();
  const ami = client(pbx.port, logs.logger, 'wrong-secret-value');
  t.after(async () => {
    await ami.stop();
    await pbx.close();
  });
  ami.start();
  await until(() => logs.records().some((r) => /login refused/.test(String(r.msg))), 'refusal');
  const refusal = logs.records().find((r) => /login refused/.test(String(r.msg)))!;
  assert.equal(refusal.level, 'error');
  assert.equal(refusal.retryInMs, 300);
  assert.notEqual(ami.state, 'up');
  assert.ok(!logs.lines.join('\n').includes('wrong-secret-value'));
  await assert.rejects(
    ami.action({ Action: 'Ping' }),
    (e: unknown) => e instanceof AmiError && e.kind === 'not-connected',
  );
});

test('an unreachable PBX is retried with backoff, first retry within 1 s', async (t) => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const logs = captureLogs();
  const ami = client(port, logs.logger);
  t.after(() => ami.stop());
  ami.start();
  await until(
    () => logs.records().filter((r) => /cannot connect/.test(String(r.msg))).length >= 2,
    'two tries',
    3_000,
  );
  const first = logs.records().find((r) => /cannot connect/.test(String(r.msg)))!;
  assert.match(String(first.reason), /ECONNREFUSED/);
  assert.ok(Number(first.retryInMs) <= 1_000);
});

test('a dropped link reconnects; an action in flight fails at once; a silent peer times out', async (t) => {
  // A peer that logs in and then never answers: the dropped/timeout cases need an action left open.
  const { port, sockets, close } = await loginOnlyPeer();
  const logs = captureLogs();
  const ami = client(port, logs.logger);
  let ups = 0;
  ami.onUp(() => ups++);
  t.after(async () => {
    await ami.stop();
    await close();
  });
  ami.start();
  await until(() => ups === 1, 'first login');

  await assert.rejects(
    ami.action({ Action: 'Ping' }, 100),
    (e: unknown) => e instanceof AmiError && e.kind === 'timeout',
  );

  const started = Date.now();
  const inFlight = ami.action({ Action: 'QueueStatus' }, 5_000);
  setTimeout(() => sockets.at(-1)?.destroy(), 30);
  await assert.rejects(inFlight, (e: unknown) => e instanceof AmiError && e.kind === 'link-lost');
  assert.ok(Date.now() - started < 1_000, 'failed at once, not at the timeout');
  await until(() => ups === 2, 'reconnect');
});

test('an unanswered keepalive Ping drops the link and reconnects', async (t) => {
  // Answers Login, then ignores everything: the keepalive must notice.
  const { port, close } = await loginOnlyPeer();
  const logs = captureLogs();
  const ami = new AmiClient({
    host: '127.0.0.1',
    port,
    username: 'bridge',
    secret: new Secret(TEST_SECRETS.amiSecret, 'test'),
    logger: logs.logger,
    pingIntervalMs: 100,
    actionTimeoutMs: 100,
    firstRetryMs: 20,
  });
  let ups = 0;
  ami.onUp(() => ups++);
  t.after(async () => {
    await ami.stop();
    await close();
  });
  ami.start();
  await until(() => ups >= 2, 'a reconnect after the missed Ping', 3_000);
  assert.ok(logs.records().some((r) => /keepalive failed/.test(String(r.msg))));
});
