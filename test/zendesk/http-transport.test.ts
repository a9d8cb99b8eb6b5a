import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { exchange, HttpTransportError } from '../../src/zendesk/http-transport.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';

const AUTH = `Bearer ${TEST_SECRETS.zendeskAccessToken}`;

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A loopback server answering with `answer`; what it received is kept. Closed after the test. */
async function serve(
  t: { after(fn: () => unknown): void },
  answer: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<{ url: URL; seen: Seen[] }> {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      answer(req, res, body);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), seen };
}

async function refusedWith(promise: Promise<unknown>, code: string): Promise<HttpTransportError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof HttpTransportError, String(error));
    assert.equal(error.code, code, error.message);
    assert.ok(!error.message.includes(TEST_SECRETS.zendeskAccessToken), 'no credential in the error');
    return error;
  }
  assert.fail(`no ${code}`);
}

test('a JSON request goes out with its method, path, query, headers and body; the answer comes back as text', async (t) => {
  const { url, seen } = await serve(t, (_req, res) => {
    res.writeHead(201, { 'content-type': 'application/json', 'x-rate-limit': '700' });
    res.end('{"ticket":{"id":7,"subject":"Grüße"}}');
  });
  const body = JSON.stringify({ ticket: { subject: 'Grüße' } });
  const answer = await exchange({
    method: 'POST',
    url: new URL('/api/v2/tickets.json?x=1', url),
    headers: {
      authorization: AUTH,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    },
    body,
    timeoutMs: 2_000,
  });
  assert.equal(answer.statusCode, 201);
  assert.equal(answer.headers['x-rate-limit'], '700');
  assert.deepEqual(JSON.parse(answer.body), { ticket: { id: 7, subject: 'Grüße' } });
  assert.equal(seen[0]?.method, 'POST');
  assert.equal(seen[0]?.url, '/api/v2/tickets.json?x=1');
  assert.equal(seen[0]?.headers.authorization, AUTH);
  assert.equal(seen[0]?.body, body);
});

for (const [encoding, compress] of [
  ['gzip', zlib.gzipSync],
  ['deflate', zlib.deflateSync],
  ['br', zlib.brotliCompressSync],
] as const) {
  test(`a ${encoding} answer is decoded`, async (t) => {
    const text = JSON.stringify({
      users: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `Ünal ${i}` })),
    });
    const { url } = await serve(t, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding });
      res.end(compress(Buffer.from(text)));
    });
    const answer = await exchange({ method: 'GET', url, headers: {}, timeoutMs: 2_000 });
    assert.equal(answer.body, text);
  });
}

test('an answer that does not come in time fails as ETIMEDOUT and its connection is closed', async (t) => {
  let closed = false;
  const { url } = await serve(t, (req) => {
    req.socket.on('close', () => {
      closed = true;
    });
  });
  const started = performance.now();
  await refusedWith(
    exchange({ method: 'GET', url, headers: { authorization: AUTH }, timeoutMs: 150 }),
    'ETIMEDOUT',
  );
  assert.ok(performance.now() - started < 1_000);
  for (let i = 0; i < 100 && !closed; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(closed, 'the server saw the connection close');
});

test('a body that stops, dripping, before the time is up fails as ETIMEDOUT too', async (t) => {
  const { url } = await serve(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"a":');
  });
  await refusedWith(exchange({ method: 'GET', url, headers: {}, timeoutMs: 150 }), 'ETIMEDOUT');
});

test('an answer cut short of its length, or no answer at all, fails as ECONNRESET', async (t) => {
  const { url } = await serve(t, (req, res) => {
    if (req.url === '/short') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"user":');
      setTimeout(() => res.socket?.destroy(), 20);
    } else res.socket?.destroy();
  });
  await refusedWith(
    exchange({ method: 'GET', url: new URL('/short', url), headers: {}, timeoutMs: 2_000 }),
    'ECONNRESET',
  );
  await refusedWith(
    exchange({ method: 'GET', url: new URL('/drop', url), headers: {}, timeoutMs: 2_000 }),
    'ECONNRESET',
  );
});

test('a broken gzip answer fails with zlib’s code', async (t) => {
  const { url } = await serve(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    res.end('not gzip at all');
  });
  await refusedWith(exchange({ method: 'GET', url, headers: {}, timeoutMs: 2_000 }), 'Z_DATA_ERROR');
});

test('nobody listening: ECONNREFUSED', async (t) => {
  const { url } = await serve(t, () => {});
  const free = new URL(url);
  await new Promise<void>((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      free.port = String((probe.address() as AddressInfo).port);
      probe.close(() => resolve());
    });
  });
  await refusedWith(exchange({ method: 'GET', url: free, headers: {}, timeoutMs: 2_000 }), 'ECONNREFUSED');
});

test('a streamed body is sent whole; a stream that fails fails the request and is not left open', async (t) => {
  const { url, seen } = await serve(t, (_req, res) => {
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end('{"upload":{"token":"t"}}');
  });
  const parts = ['RIFF', 'x'.repeat(70_000), 'end'];
  const answer = await exchange({
    method: 'POST',
    url,
    headers: { 'content-type': 'audio/wav', 'content-length': String(parts.join('').length) },
    body: Readable.from(parts),
    timeoutMs: 2_000,
  });
  assert.equal(answer.statusCode, 201);
  assert.equal(seen[0]?.body, parts.join(''));

  const failing = new Readable({
    read() {
      this.destroy(Object.assign(new Error('the file went away'), { code: 'ENOENT' }));
    },
  });
  await refusedWith(
    exchange({
      method: 'POST',
      url,
      headers: { 'content-type': 'audio/wav' },
      body: failing,
      timeoutMs: 2_000,
    }),
    'ENOENT',
  );
  assert.equal(failing.destroyed, true);
});
