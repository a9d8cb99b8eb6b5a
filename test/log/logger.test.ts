import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, type LoggerOptions } from '../../src/log/logger.ts';
import { Secret } from '../../src/util/secret.ts';

function capture(options: Omit<LoggerOptions, 'stream'> & { tty?: boolean } = {}) {
  const lines: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    }),
    { isTTY: options.tty ?? false },
  );
  const logger = createLogger({ ...options, stream, now: () => new Date('2026-11-22T10:00:00.000Z') });
  return { logger, lines };
}

test('JSON lines off a TTY carry namespace and context fields', async () => {
  const { logger, lines } = capture();
  logger
    .child('calls')
    .with({ callId: '1795305910.0', queue: 'support' })
    .info('ticket created', { ticketId: 7 });
  await logger.flush();
  assert.equal(lines.length, 1);
  assert.deepEqual(JSON.parse(lines[0]!), {
    time: '2026-11-22T10:00:00.000Z',
    level: 'info',
    ns: 'calls',
    msg: 'ticket created',
    callId: '1795305910.0',
    queue: 'support',
    ticketId: 7,
  });
});

test('readable text on a TTY', async () => {
  const { logger, lines } = capture({ tty: true });
  logger.child('ami').warn('link lost', { host: '127.0.0.1', reason: 'connection reset' });
  await logger.flush();
  assert.equal(
    lines[0],
    '2026-11-22T10:00:00.000Z WARN  [ami] link lost  host=127.0.0.1 reason="connection reset"',
  );
});

test('level filters lines and lazy debug is not evaluated when off', async () => {
  const { logger, lines } = capture({ level: 'info' });
  let evaluated = false;
  logger.debug(() => {
    evaluated = true;
    return 'expensive';
  });
  assert.equal(evaluated, false);
  logger.setLevel('debug');
  logger.child('zendesk').debug(() => 'now on');
  await logger.flush();
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /now on/);
});

test('registered secret values, secret keys, auth headers and URL passwords are redacted', async () => {
  const { logger, lines } = capture();
  const amiSecret = 'Ami-S3cret-value';
  logger.secrets.add(amiSecret);
  const log = logger.child('zendesk');
  log.error(`login failed with ${amiSecret}`, {
    headers: { Authorization: 'Bearer abc.def.ghi', accept: 'application/json' },
    password: 'hunter22',
    url: 'smb://DOMAIN;alice:Pa55word@files.example/share',
    nested: [{ body: `{"access_token":"tok-123456","x":1}` }],
    header: 'authorization: Basic dXNlcjpwYXNz',
    secret: new Secret('wrapped-secret-1', 'env:X'),
    err: new Error(`request to https://u:pw-in-url@example.zendesk.com failed (${amiSecret})`),
  });
  await logger.flush();
  const out = lines.join('\n');
  for (const leaked of [
    'Ami-S3cret-value',
    'abc.def.ghi',
    'hunter22',
    'Pa55word',
    'tok-123456',
    'dXNlcjpwYXNz',
    'wrapped-secret-1',
    'pw-in-url',
  ]) {
    assert.ok(!out.includes(leaked), `${leaked} leaked`);
  }
  const record = JSON.parse(lines[0]!);
  assert.equal(record.headers.accept, 'application/json');
  assert.equal(record.err.name, 'Error');
  assert.match(record.err.message, /https:\/\/u:\[redacted\]@example\.zendesk\.com/);
});

test('a Secret prints redacted through String(), JSON and util.inspect', async () => {
  const secret = new Secret('plain-value-99', 'env:ZD_TOKEN');
  assert.equal(String(secret), '[redacted]');
  assert.equal(JSON.stringify({ secret }), '{"secret":"[redacted]"}');
  const { inspect } = await import('node:util');
  assert.equal(inspect(secret), 'Secret(env:ZD_TOKEN)');
  assert.equal(secret.reveal(), 'plain-value-99');
});
