import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { ExportRefused } from '../../src/mirror/ports.ts';
import { ManualClock } from '../../src/sim/zendesk/index.ts';
import { Secret } from '../../src/util/secret.ts';
import { apiTokenAuth } from '../../src/zendesk/auth.ts';
import { ZendeskApiError } from '../../src/zendesk/errors.ts';
import { ZendeskHttp } from '../../src/zendesk/zendesk-http.ts';
import { ZendeskUserExport } from '../../src/zendesk/zendesk-user-export.ts';
import { captureLogs } from '../support/log-capture.ts';
import { zendeskWithClient } from '../support/zendesk-client.ts';

const EXPORT = 'GET /api/v2/incremental/users/cursor';

test('a page: users with role, active and every phone number (sideloaded), and the cursor to go on with', async (t) => {
  const { logger } = captureLogs();
  const clock = new ManualClock();
  const { zd, http } = await zendeskWithClient({ logger, clock });
  t.after(() => zd.close());
  const page = await new ZendeskUserExport(http).page({ startTime: 0 });
  assert.equal(page.endOfStream, true);
  assert.equal(page.allPhones, true);
  assert.equal(typeof page.afterCursor, 'string');
  const otto = page.users.find((u) => u.name === 'Otto Normal')!;
  assert.deepEqual(
    { role: otto.role, active: otto.active, phones: otto.phones.sort() },
    { role: 'end-user', active: true, phones: ['(0170) 1234567', '+4922133344'] },
  );
  assert.equal(page.users.find((u) => u.name === 'Anna Agent')?.role, 'agent');
  const request = zd.requests.find((r) => r.endpoint === EXPORT)!;
  assert.deepEqual(request.query, { start_time: '0', per_page: '1000', include: 'identities' });
  const next = await new ZendeskUserExport(http).page({ cursor: page.afterCursor! });
  assert.deepEqual(next.users, [], 'nothing changed since');
  assert.equal(zd.requests.at(-1)?.query.cursor, page.afterCursor);
});

test('refusals: 403 and 404 are no access, 400 and 422 a bad request; 5xx, HTML and drops stay ZendeskApiErrors', async (t) => {
  const { logger } = captureLogs({ level: 'error' });
  const { zd, http } = await zendeskWithClient({ logger, fake: { rateLimitPerMinute: 1_000_000 } });
  t.after(() => zd.close());
  const source = new ZendeskUserExport(http);
  const outcome = async () => {
    try {
      await source.page({ startTime: 0 });
      return 'a page';
    } catch (error) {
      if (error instanceof ExportRefused) return `refused: ${error.reason}`;
      if (error instanceof ZendeskApiError) return `api error ${error.status ?? error.code}`;
      return `other: ${String(error)}`;
    }
  };
  const seen: Record<string, string> = {};
  for (const fault of [403, 404, 400, 422, 503, 'html', 'drop'] as const) {
    zd.faults.next(fault, { endpoint: EXPORT });
    seen[String(fault)] = await outcome();
  }
  assert.deepEqual(seen, {
    403: 'refused: no access',
    404: 'refused: no access',
    400: 'refused: bad request',
    422: 'refused: bad request',
    503: 'api error 503',
    html: 'api error 502',
    drop: 'api error ECONNRESET',
  });
  const tooRecent = await source.page({ startTime: Math.floor(Date.now() / 1000) }).catch((e: unknown) => e);
  assert.ok(tooRecent instanceof ExportRefused && tooRecent.reason === 'bad request');
  assert.match(tooRecent.message, /Too recent start_time/);
});

test('an answer without sideloaded identities: each user’s primary number only, and the page says so', async (t) => {
  // A Zendesk that ignores include=identities (unconfirmed either way): a loopback server with a fixed page.
  const body = JSON.stringify({
    users: [
      { id: 7, name: 'Erika', role: 'end-user', active: true, phone: '+4930123456' },
      { id: 8, name: 'Gone', role: 'end-user', active: false, phone: null },
      { id: 'x', name: 'no valid id' },
    ],
    after_cursor: 'c7',
    end_of_stream: false,
  });
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { logger } = captureLogs();
  const http = new ZendeskHttp({
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    auth: apiTokenAuth('admin@example.com', new Secret('fake-api-token', 'test')),
    logger,
  });
  const page = await new ZendeskUserExport(http).page({ cursor: 'c6' });
  assert.deepEqual(page, {
    users: [
      { id: 7, name: 'Erika', role: 'end-user', active: true, phones: ['+4930123456'] },
      { id: 8, name: 'Gone', role: 'end-user', active: false, phones: [] },
    ],
    afterCursor: 'c7',
    endOfStream: false,
    allPhones: false,
  });
});
