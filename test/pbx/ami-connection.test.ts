import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import type { AmiMessage } from '../../src/pbx/ami-codec.ts';
import { AmiConnection } from '../../src/pbx/ami-connection.ts';
import { AmiError } from '../../src/pbx/ami-errors.ts';
import { loadTranscript, receivedMessages } from '../support/ami-transcripts.ts';

/** The recorded AgentConnect of transcript a, and the events Asterisk sent after it in that call. */
function recorded(): { agentConnect: string; after: string[] } {
  const events = receivedMessages(loadTranscript('a')).filter((line) => line.kind === 'event');
  const at = events.findIndex((line) => line.name === 'AgentConnect');
  assert.ok(at > 0, 'transcript a has an AgentConnect');
  return { agentConnect: events[at]!.raw, after: events.slice(at + 1, at + 6).map((line) => line.raw) };
}

/** A peer that sends the banner, then whatever the test writes, as single socket writes. */
async function peer() {
  let socket: Socket | undefined;
  let connected!: (s: Socket) => void;
  const connection = new Promise<Socket>((resolve) => {
    connected = resolve;
  });
  const server = createServer((s) => {
    socket = s;
    s.write('Asterisk Call Manager/11.0.0\r\n');
    connected(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    connected: connection,
    close: async () => {
      socket?.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What an answer starts: a few promise hops, then "the pop request" (as CallHandler's chain). */
async function popChain(seen: string[]): Promise<void> {
  for (let hop = 0; hop < 8; hop++) await Promise.resolve();
  seen.push('pop');
}

test('yieldAfter: the work an AgentConnect starts runs before the rest of its read; order and every event kept', async (t) => {
  const { agentConnect, after } = recorded();
  const p = await peer();
  const seen: string[] = [];
  const connection = new AmiConnection({
    host: '127.0.0.1',
    port: p.port,
    connectTimeoutMs: 2_000,
    onEvent: (event: AmiMessage) => {
      seen.push(event.name);
      if (event.name === 'AgentConnect') void popChain(seen);
    },
    onProblem: () => {},
    yieldAfter: (event) => event.name === 'AgentConnect',
  });
  t.after(async () => {
    connection.destroy(new AmiError('link-lost', 'test over'));
    await p.close();
  });
  await connection.open();
  const socket = await p.connected;

  // One read: AgentConnect with five more events behind it.
  socket.write([agentConnect, ...after].join(''));
  const names = after.map((raw) => /^Event: (\S+)/.exec(raw)![1]!);
  const until = async (n: number) => {
    for (let i = 0; i < 500 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 2));
  };
  await until(2 + names.length);
  assert.deepEqual(seen, ['AgentConnect', 'pop', ...names]);

  // Two writes: when they arrive as two reads while the first one's rest is held, the second
  // queues behind it; loopback often joins them into one read. The order must hold either way.
  seen.length = 0;
  socket.write([agentConnect, after[0]!].join(''));
  socket.write(after[1]!);
  await until(4);
  assert.deepEqual(seen, ['AgentConnect', 'pop', names[0], names[1]]);
});

test('yieldAfter: events held back when the link is destroyed are still dispatched, before it counts as closed', async (t) => {
  const { agentConnect, after } = recorded();
  const p = await peer();
  t.after(() => p.close());
  const seen: string[] = [];
  let closedAt = -1;
  const connection: AmiConnection = new AmiConnection({
    host: '127.0.0.1',
    port: p.port,
    connectTimeoutMs: 2_000,
    onEvent: (event) => {
      seen.push(event.name);
      // Destroyed while the rest of the read is held (a microtask runs before the setImmediate).
      if (event.name === 'AgentConnect')
        queueMicrotask(() => connection.destroy(new AmiError('link-lost', 'test')));
    },
    onProblem: () => {},
    yieldAfter: (event) => event.name === 'AgentConnect',
  });
  await connection.open();
  const socket = await p.connected;
  void connection.closed.then(() => {
    closedAt = seen.length;
  });
  socket.write([agentConnect, ...after].join(''));
  await connection.closed;
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(seen.length, 1 + after.length, 'every event read was dispatched');
  assert.equal(closedAt, 1 + after.length, 'all of them before `closed` resolved');
});
