import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { HelpdeskUser, NewCallTicket } from '../../src/calls/ports.ts';
import { type Random, randomInt, seededRandom } from '../../src/sim/pbx/prng.ts';
import type { FaultKind } from '../../src/sim/zendesk/faults.ts';
import { Secret } from '../../src/util/secret.ts';
import { apiTokenAuth } from '../../src/zendesk/auth.ts';
import { ZendeskApiError } from '../../src/zendesk/errors.ts';
import type { RateClock } from '../../src/zendesk/rate-gate.ts';
import { ZendeskDirectory } from '../../src/zendesk/zendesk-directory.ts';
import { ZendeskHelpdesk } from '../../src/zendesk/zendesk-helpdesk.ts';
import { ZendeskHttp } from '../../src/zendesk/zendesk-http.ts';
import { captureLogs } from '../support/log-capture.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';
import { zendeskWithClient } from '../support/zendesk-client.ts';

// Zendesk answering nonsense: a loopback HTTP server replies to every request with a generated
// status, headers and body. Every client method must come back with its declared result or a
// ZendeskApiError whose message says what was wrong; never a TypeError, never a hang.
// FUZZ_SEED=<n> replays a run; FUZZ_SEED=random picks a new one.

const SEED =
  process.env.FUZZ_SEED === 'random'
    ? Math.floor(Math.random() * 2 ** 31)
    : Number(process.env.FUZZ_SEED ?? 0x2e2d_e5c);
const CALLS = 2_400;
/** Per-request timeout of the client under test: a request that gets no answer ends after it. */
const REQUEST_TIMEOUT_MS = 300;
/** No single call may take longer than this in real time (retries included). */
const CALL_BOUND_MS = 10_000;
/** No wait the client decides on itself (Retry-After, rate windows, backoff) may exceed this. */
const MAX_SELF_WAIT_MS = 10 * 60_000;
const MB = 1024 * 1024;

/** The file's figures, printed as one line when it ends. */
const totals = {
  calls: 0,
  results: 0,
  apiErrors: 0,
  crashes: 0,
  hangs: 0,
  maxHeapGrowth: 0,
  longestHoldMs: 0,
};
after(() =>
  console.log(
    `fuzz zendesk-responses: seed ${SEED}, ${totals.calls} client calls against generated and fake-fault answers: ` +
      `${totals.results} results, ${totals.apiErrors} ZendeskApiErrors, ${totals.crashes} other errors (crashes), ` +
      `${totals.hangs} hangs; max heap growth ${(totals.maxHeapGrowth / MB).toFixed(1)} MB, ` +
      `longest hold on a server's word ${(totals.longestHoldMs / 1000).toFixed(0)} s`,
  ),
);

function tally(outcome: { value: unknown } | { error: unknown } | 'hung'): void {
  totals.calls++;
  if (outcome === 'hung') totals.hangs++;
  else if ('value' in outcome) totals.results++;
  else if (outcome.error instanceof ZendeskApiError) totals.apiErrors++;
  else totals.crashes++;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (() => void) | undefined;

function heapUsedAfterGc(): number {
  gc?.();
  return process.memoryUsage().heapUsed;
}

/** Time for the rate gate and the retry backoff: a sleep passes at once and is written down. */
function virtualClock(): RateClock & { longestSleep(): number; sleeps(): number } {
  let offset = 0;
  let longest = 0;
  let sleeps = 0;
  return {
    longestSleep: () => longest,
    sleeps: () => sleeps,
    now: () => Date.now() + offset,
    sleep: async (ms) => {
      longest = Math.max(longest, ms);
      sleeps++;
      offset += ms;
    },
  };
}

interface Reply {
  kind: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
  /** How the answer leaves: normally, never, cut off, dripping, or not as HTTP at all. */
  transport?: 'hang' | 'drop' | 'drip' | 'short' | 'garbage';
}

/** Bodies Zendesk never sends but a proxy, a bug or a half-finished deploy might. */
class ReplyGenerator {
  readonly #rnd: Random;
  readonly kinds: Record<string, number> = {};
  /** Answers that leave the client waiting are rare: each costs a request timeout. */
  #slowLeft = 6;

  constructor(seed: number) {
    this.#rnd = seededRandom(seed);
  }

  #int(min: number, max: number): number {
    return randomInt(this.#rnd, min, max);
  }

  #pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#rnd() * items.length)]!;
  }

  /**
   * Uploads get no silent answers: their timeout is at least 60 s a try on purpose (a recording
   * of 50 MB takes minutes), bounded but too long for this run. The fake's `timeout` fault below
   * leaves them out for the same reason.
   */
  next(path = ''): Reply {
    const reply = this.#make(!path.includes('/uploads'));
    this.kinds[reply.kind] = (this.kinds[reply.kind] ?? 0) + 1;
    return reply;
  }

  #status(): number {
    return this.#pick([
      200, 200, 200, 201, 204, 302, 400, 401, 403, 404, 409, 413, 418, 422, 429, 500, 502, 503,
    ]);
  }

  #headers(json: boolean): Record<string, string> {
    const h: Record<string, string> = {};
    const type = this.#pick([
      json ? 'application/json; charset=utf-8' : 'text/html',
      'application/json',
      'text/plain',
      'application/problem+json',
      '',
    ]);
    if (type) h['content-type'] = type;
    if (this.#rnd() < 0.2) h['retry-after'] = this.#pick(['0', '1', '-5', 'abc', '1e12', '86400', '3.5', '']);
    if (this.#rnd() < 0.2) {
      h['x-rate-limit'] = this.#pick(['700', '0', '-1', 'abc', '1e309', '1']);
      h['x-rate-limit-remaining'] = this.#pick(['0', '699', '-5', '1e9', 'x']);
      if (this.#rnd() < 0.5) h['ratelimit-reset'] = this.#pick(['1', '60', '1e12', '-3', 'soon']);
    }
    return h;
  }

  /** A value of the wrong type, or a trap for naive code (toString that is no function). */
  #oddValue(depth = 0): unknown {
    switch (this.#int(0, 13)) {
      case 0:
        return null;
      case 1:
        return this.#pick([-1, 0, 1.5, 1e308, -0, 2 ** 53 + 2, 7]);
      case 2:
        return this.#pick(['', '7', 'x'.repeat(this.#int(1, 5_000)), '<script>', '\u0000']);
      case 3:
        return this.#pick([true, false]);
      case 4:
        return [];
      case 5:
        return {};
      case 6:
        return { toString: 1, valueOf: {} };
      case 7:
        return depth < 3 ? [this.#oddValue(depth + 1), this.#oddValue(depth + 1)] : 1;
      case 8:
        return depth < 3 ? { id: this.#oddValue(depth + 1), name: this.#oddValue(depth + 1) } : 'x';
      case 9:
        return { id: 1, name: { toString: 1 }, email: 5, phone: {}, role: ['admin'] };
      case 10:
        return 'a'.repeat(this.#int(1, 100));
      case 11:
        return { __proto__: { id: 1 } };
      default:
        return 42;
    }
  }

  /** JSON text that parses but nests deeper than any recursive code survives. */
  #deep(): string {
    const depth = this.#int(10_000, 100_000);
    return `${'['.repeat(depth)}${']'.repeat(depth)}`;
  }

  #body(): { kind: string; text: string | Buffer; json: boolean } {
    const r = this.#rnd();
    const wrong = () => JSON.stringify(this.#oddValue());
    const key = () =>
      this.#pick([
        'results',
        'user',
        'users',
        'ticket',
        'tickets',
        'groups',
        'upload',
        'identities',
        'identity',
        'error',
        'meta',
      ]);
    if (r < 0.08)
      return {
        kind: 'html',
        text: '<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>',
        json: false,
      };
    if (r < 0.13)
      return {
        kind: 'text',
        text: this.#pick(['Internal error', 'OK', 'null', 'undefined', ' ']),
        json: false,
      };
    if (r < 0.17) return { kind: 'empty', text: '', json: true };
    if (r < 0.22) {
      const bytes = Buffer.alloc(this.#int(1, 300));
      for (let i = 0; i < bytes.length; i++) bytes[i] = this.#int(0, 255);
      if (this.#rnd() < 0.5) bytes[0] = 0x7b; // `{`: looks like JSON
      return { kind: 'binary', text: bytes, json: true };
    }
    if (r < 0.27) {
      const full = JSON.stringify({ [key()]: { id: 5, requester_id: 3, name: 'Erika' } });
      return { kind: 'truncated-json', text: full.slice(0, this.#int(1, full.length - 1)), json: true };
    }
    if (r < 0.32) return { kind: 'wrong-top-level', text: wrong(), json: true };
    if (r < 0.55) {
      // the right key, a wrong value
      return { kind: 'wrong-field-type', text: `{"${key()}": ${wrong()}}`, json: true };
    }
    if (r < 0.7) {
      // the right shape, wrong types inside
      const item = () => ({
        id: this.#rnd() < 0.5 ? this.#int(1, 99) : this.#oddValue(),
        requester_id: this.#rnd() < 0.5 ? this.#int(1, 99) : this.#oddValue(),
        name: this.#rnd() < 0.5 ? 'Erika' : this.#oddValue(),
        email: this.#rnd() < 0.5 ? 'erika@example.com' : this.#oddValue(),
        phone: this.#rnd() < 0.5 ? '+4930123456' : this.#oddValue(),
        role: this.#pick(['end-user', 'agent', 'admin', 'owner', undefined, 5]),
        result_type: this.#pick(['user', 'ticket', undefined]),
        type: this.#pick(['phone_number', 'email', 7]),
        value: this.#rnd() < 0.5 ? '+4930123456' : this.#oddValue(),
        token: this.#rnd() < 0.5 ? 'tok-1' : this.#oddValue(),
        deleted: this.#pick([false, true, 'no', undefined]),
      });
      const list = Array.from({ length: this.#int(0, 4) }, item);
      const body = {
        results: list,
        users: list,
        tickets: list,
        groups: list,
        identities: list,
        user: item(),
        ticket: item(),
        upload: item(),
        meta: this.#rnd() < 0.3 ? { has_more: this.#oddValue(), after_cursor: this.#oddValue() } : undefined,
      };
      return { kind: 'wrong-types-inside', text: JSON.stringify(body), json: true };
    }
    if (r < 0.82) {
      // error bodies of every shape
      const error = this.#pick<unknown>([
        'RecordNotFound',
        { title: this.#oddValue(), message: this.#oddValue() },
        { title: { toString: 1 } },
        this.#oddValue(),
        'E'.repeat(this.#int(1, 50_000)),
      ]);
      const body: Record<string, unknown> = { error };
      if (this.#rnd() < 0.5) body.description = this.#oddValue();
      if (this.#rnd() < 0.5) body.details = this.#rnd() < 0.2 ? '__DEEP__' : this.#oddValue();
      return {
        kind: 'error-body',
        text: JSON.stringify(body).replace('"__DEEP__"', this.#deep()),
        json: true,
      };
    }
    if (r < 0.86)
      return {
        kind: 'deep-nesting',
        text: `{"${key()}": ${this.#deep()}, "details": ${this.#deep()}}`,
        json: true,
      };
    if (r < 0.88) {
      const size = this.#int(1, 8) * MB;
      return {
        kind: 'huge',
        text: `{"${key()}": [${'"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",'.repeat(Math.floor(size / 90))}"end"]}`,
        json: true,
      };
    }
    if (r < 0.9) return { kind: 'huge-error-text', text: 'E'.repeat(this.#int(1, 4) * MB), json: false };
    if (r < 0.93)
      return {
        kind: 'proto-keys',
        text: `{"__proto__": {"id": 7, "ticket": {"id": 7}}, "constructor": {"id": 1}}`,
        json: true,
      };
    return {
      kind: 'plausible',
      text: JSON.stringify({
        results: [{ id: 20, name: 'Erika', role: 'end-user', result_type: 'user' }],
        users: [{ id: 2, name: 'Anna', role: 'agent', email: 'anna@example.com' }],
        user: { id: 20, name: 'Erika', role: 'end-user' },
        ticket: { id: 100, requester_id: 20 },
        tickets: [{ id: 100, requester_id: 20 }],
        groups: [{ id: 11, name: 'Support' }],
        identities: [{ id: 1, type: 'phone_number', value: '+4930123456' }],
        upload: { token: 'tok-1' },
      }),
      json: true,
    };
  }

  #make(slowAllowed: boolean): Reply {
    if (slowAllowed && this.#slowLeft > 0 && this.#rnd() < 0.006) {
      this.#slowLeft--;
      const transport = this.#pick(['hang', 'drip'] as const);
      return {
        kind: transport,
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '',
        transport,
      };
    }
    const r = this.#rnd();
    if (r < 0.01) return { kind: 'drop', status: 0, headers: {}, body: '', transport: 'drop' };
    if (r < 0.02) return { kind: 'short', status: 200, headers: {}, body: '{"user":', transport: 'short' };
    if (r < 0.03) return { kind: 'garbage', status: 0, headers: {}, body: '', transport: 'garbage' };
    if (r < 0.04) {
      return {
        kind: 'bad-gzip',
        status: 200,
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: '{"user": {"id": 1}}',
      };
    }
    const body = this.#body();
    return { kind: body.kind, status: this.#status(), headers: this.#headers(body.json), body: body.text };
  }
}

/** A loopback server that answers each request with the generator's next reply. */
async function startNonsenseServer(replies: (path: string) => Reply) {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const reply = replies(req.url ?? '');
      switch (reply.transport) {
        case 'hang':
          return;
        case 'drop':
          res.socket?.destroy();
          return;
        case 'garbage':
          res.socket?.end('HTTP/1.1 9999 \u0000\r\nnot a header\r\n\r\n');
          return;
        case 'short':
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
          res.write(reply.body);
          res.socket?.destroy();
          return;
        case 'drip': {
          res.writeHead(200, { 'content-type': 'application/json' });
          const timer = setInterval(() => res.write(' '), 50);
          timers.add(timer);
          res.on('close', () => {
            clearInterval(timer);
            timers.delete(timer);
          });
          return;
        }
        default:
          res.writeHead(reply.status, reply.headers);
          res.end(reply.body);
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// What each method may return: its declared type, checked field by field.

const isId = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0;
const orNull = (v: unknown) => v === null || v === undefined || typeof v === 'string';

function checkUser(u: unknown, where: string): void {
  const user = u as HelpdeskUser;
  assert.ok(user !== null && typeof user === 'object', `${where}: a user object`);
  assert.ok(isId(user.id), `${where}: id ${JSON.stringify(user.id)}`);
  assert.equal(typeof user.name, 'string', `${where}: name`);
  assert.ok(['end-user', 'agent', 'admin'].includes(user.role), `${where}: role ${String(user.role)}`);
  assert.ok(orNull(user.email), `${where}: email ${JSON.stringify(user.email)}`);
  assert.ok(orNull(user.phone), `${where}: phone ${JSON.stringify(user.phone)}`);
}

function ticketFor(n: number, agentId: number | undefined): NewCallTicket {
  return {
    callId: `1750000000.${n}`,
    idempotencyKey: `cti-bridge-call-1750000000.${n}`,
    requesterId: 20,
    groupId: 11,
    assigneeId: agentId,
    subject: 'Call from +4930123456',
    comment: 'Inbound call',
    tags: ['cti-bridge'],
    popToAgentId: agentId,
    call: { from: '+4930123456', queue: 'support', startedAt: 0 },
  };
}

type Method = {
  name: string;
  run: (n: number) => Promise<unknown>;
  check: (value: unknown, where: string) => void;
};

function methods(helpdesk: ZendeskHelpdesk, directory: ZendeskDirectory, upload: string): Method[] {
  const list: Method[] = [
    {
      name: 'findUsersByPhone',
      run: () => helpdesk.findUsersByPhone('+4930123456'),
      check: (v, w) => {
        assert.ok(Array.isArray(v), w);
        for (const [i, u] of v.entries()) checkUser(u, `${w}[${i}]`);
      },
    },
    {
      name: 'openCallTicket',
      run: (n) => helpdesk.openCallTicket(ticketFor(n, n % 2 ? 2 : undefined)),
      check: (v, w) => {
        const t = v as { id: unknown; popped: unknown };
        assert.ok(isId(t.id), `${w}: id ${JSON.stringify(t.id)}`);
        assert.equal(typeof t.popped, 'boolean', w);
      },
    },
    {
      name: 'addPrivateComment',
      run: () => helpdesk.addPrivateComment(100, 'Call facts'),
      check: (v, w) => {
        const t = v as { id: unknown; requesterId: unknown };
        assert.ok(isId(t.id), `${w}: id ${JSON.stringify(t.id)}`);
        assert.ok(isId(t.requesterId), `${w}: requesterId ${JSON.stringify(t.requesterId)}`);
      },
    },
    {
      name: 'getUser',
      run: () => helpdesk.getUser(20),
      check: (v, w) => {
        checkUser(v, w);
        const phones = (v as { phones: unknown }).phones;
        assert.ok(Array.isArray(phones) && phones.every((p) => typeof p === 'string'), `${w}: phones`);
      },
    },
    {
      name: 'createEndUser',
      run: () => helpdesk.createEndUser({ name: 'Caller', phone: '+4930123456' }),
      check: checkUser,
    },
    {
      name: 'addPhoneIdentity',
      run: () => helpdesk.addPhoneIdentity(20, '+4930123456'),
      check: (v, w) => assert.equal(v, undefined, w),
    },
    {
      name: 'uploadFile',
      run: () => helpdesk.uploadFile({ path: upload, name: 'call.wav', contentType: 'audio/wav', size: 4 }),
      check: (v, w) => assert.ok(typeof v === 'string' && v !== '', `${w}: token ${JSON.stringify(v)}`),
    },
    {
      name: 'listAgents',
      run: () => directory.listAgents(),
      check: (v, w) => {
        assert.ok(Array.isArray(v), w);
        for (const [i, u] of v.entries()) checkUser(u, `${w}[${i}]`);
      },
    },
    {
      name: 'listGroups',
      run: () => directory.listGroups(),
      check: (v, w) => {
        assert.ok(Array.isArray(v), w);
        for (const g of v as Array<{ id: unknown; name: unknown }>) {
          assert.ok(isId(g.id) && typeof g.name === 'string', `${w}: ${JSON.stringify(g)}`);
        }
      },
    },
    {
      name: 'findUserByEmail',
      run: () => directory.findUserByEmail('erika@example.com'),
      check: (v, w) => {
        if (v !== undefined) checkUser(v, w);
      },
    },
    {
      name: 'createUser',
      run: () => directory.createUser({ name: 'Unknown caller', email: 'u@example.com' }),
      check: checkUser,
    },
  ];
  // Methods added to the port later are fuzzed too, as long as they take a call id.
  const findCallTicket = (helpdesk as { findCallTicket?: (callId: string) => Promise<unknown> })
    .findCallTicket;
  if (findCallTicket) {
    list.push({
      name: 'findCallTicket',
      run: (n) => findCallTicket.call(helpdesk, `1750000000.${n}`),
      check: (v, w) => {
        if (v === undefined) return;
        const t = v as { id: unknown; requesterId: unknown };
        assert.ok(isId(t.id) && isId(t.requesterId), `${w}: ${JSON.stringify(t)}`);
      },
    });
  }
  return list;
}

/** A readable error: names the endpoint, no object dumps, bounded length. */
function checkError(error: unknown, where: string): string {
  assert.ok(
    error instanceof ZendeskApiError,
    `${where}: expected a ZendeskApiError, got ${(error as Error)?.stack ?? String(error)}`,
  );
  assert.match(error.message, /^(GET|POST|PUT|DELETE) \/api\/v2\/\S+: /, where);
  assert.ok(error.message.length <= 2_000, `${where}: a message of ${error.message.length} characters`);
  assert.doesNotMatch(
    error.message,
    /\[object Object\]|undefined: /,
    `${where}: ${error.message.slice(0, 300)}`,
  );
  assert.equal(typeof error.code, 'string', where);
  return error.code;
}

async function bounded<T>(work: Promise<T>, ms: number): Promise<{ value: T } | { error: unknown } | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms);
  });
  try {
    return await Promise.race([
      work.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      hung,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

test(`${CALLS} calls against generated nonsense: a result of the declared type or a ZendeskApiError (seed ${SEED})`, async (t) => {
  const gen = new ReplyGenerator(SEED);
  const server = await startNonsenseServer((path) => gen.next(path));
  t.after(() => server.close());
  const dir = await mkdtemp(path.join(tmpdir(), 'cti-fuzz-upload-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const upload = path.join(dir, 'call.wav');
  await writeFile(upload, 'RIFF');

  const logs = captureLogs({ level: 'warn' });
  const clock = virtualClock();
  const http = new ZendeskHttp({
    baseUrl: server.url,
    auth: apiTokenAuth('admin@example.com', new Secret(TEST_SECRETS.zendeskApiToken, 'test')),
    logger: logs.logger,
    clock,
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
  const helpdesk = new ZendeskHelpdesk({ http, talkPartnerEdition: true, logger: logs.logger });
  const directory = new ZendeskDirectory(http);
  const all = methods(helpdesk, directory, upload);

  const outcomes: Record<string, number> = {};
  const failures: string[] = [];
  let slowest = 0;
  const heapBefore = heapUsedAfterGc();
  let heapMax = heapBefore;
  const started = performance.now();
  for (let n = 0; n < CALLS; n++) {
    const method = all[n % all.length]!;
    const where = `${method.name} #${n} (seed ${SEED})`;
    const t0 = performance.now();
    const outcome = await bounded(method.run(n), CALL_BOUND_MS);
    tally(outcome);
    slowest = Math.max(slowest, performance.now() - t0);
    try {
      if (outcome === 'hung') throw new Error(`${where}: no outcome within ${CALL_BOUND_MS} ms`);
      if ('error' in outcome) {
        const code = checkError(outcome.error, where);
        outcomes[`error ${code.length > 24 ? `${code.slice(0, 24)}…` : code}`] =
          (outcomes[`error ${code.length > 24 ? `${code.slice(0, 24)}…` : code}`] ?? 0) + 1;
      } else {
        method.check(outcome.value, where);
        outcomes.ok = (outcomes.ok ?? 0) + 1;
      }
    } catch (error) {
      failures.push((error as Error).message.split('\n').slice(0, 3).join(' | '));
      if (failures.length >= 15) break;
    }
    if (n % 200 === 0) heapMax = Math.max(heapMax, heapUsedAfterGc());
    logs.lines.splice(0, logs.lines.length - 100);
  }
  const seconds = (performance.now() - started) / 1000;
  const maxSelfWait = clock.longestSleep();
  totals.longestHoldMs = Math.max(totals.longestHoldMs, maxSelfWait);
  totals.maxHeapGrowth = Math.max(totals.maxHeapGrowth, heapMax - heapBefore);
  t.diagnostic(
    `zendesk-responses: seed ${SEED}, ${CALLS} calls (${all.length} methods) in ${seconds.toFixed(1)} s, ` +
      `${failures.length} failures, slowest ${slowest.toFixed(0)} ms, longest self-imposed wait ${(maxSelfWait / 1000).toFixed(1)} s, ` +
      `heap growth max ${((heapMax - heapBefore) / MB).toFixed(1)} MB; outcomes ${JSON.stringify(outcomes)}; replies ${JSON.stringify(gen.kinds)}`,
  );
  assert.deepEqual(failures, []);
  assert.ok(maxSelfWait <= MAX_SELF_WAIT_MS, `the client held requests for ${maxSelfWait} ms on its own`);
  assert.ok((outcomes.ok ?? 0) > 50, JSON.stringify(outcomes));
});

test('a directory listing that never ends is given up with a ZendeskApiError', async (t) => {
  let requests = 0;
  const server = await startNonsenseServer(() => {
    requests++;
    return {
      kind: 'endless',
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ users: [], groups: [], meta: { has_more: true, after_cursor: `c${requests}` } }),
    };
  });
  t.after(() => server.close());
  const logs = captureLogs({ level: 'warn' });
  const http = new ZendeskHttp({
    baseUrl: server.url,
    auth: apiTokenAuth('admin@example.com', new Secret(TEST_SECRETS.zendeskApiToken, 'test')),
    logger: logs.logger,
    clock: virtualClock(),
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
  const outcome = await bounded(new ZendeskDirectory(http).listGroups(), 30_000);
  tally(outcome);
  assert.notEqual(outcome, 'hung');
  assert.ok(outcome !== 'hung' && 'error' in outcome, 'an error, not a result');
  checkError(outcome.error, 'listGroups');
  t.diagnostic(`endless pages: given up after ${requests} requests`);
});

test('the fake Zendesk faults html, text, huge, drop and timeout: a ZendeskApiError from every method', async (t) => {
  const logs = captureLogs({ level: 'warn' });
  const { zd } = await zendeskWithClient({ logger: logs.logger, fake: { rateLimitPerMinute: 1_000_000 } });
  t.after(() => zd.close());
  const dir = await mkdtemp(path.join(tmpdir(), 'cti-fuzz-upload-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const upload = path.join(dir, 'call.wav');
  await writeFile(upload, 'RIFF');
  // A client with a short request timeout and virtual time for its retry waits.
  const http = new ZendeskHttp({
    baseUrl: zd.url,
    auth: apiTokenAuth('admin@example.com', new Secret('fake-api-token', 'test')),
    logger: logs.logger,
    clock: virtualClock(),
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
  const quick = new ZendeskHelpdesk({ http, talkPartnerEdition: true, logger: logs.logger });
  const quickDirectory = new ZendeskDirectory(http);
  const faults: Array<{ kind: FaultKind; bytes?: number }> = [
    { kind: 'html' },
    { kind: 'text' },
    { kind: 'huge', bytes: 4 * MB },
    { kind: 'drop' },
    { kind: 'timeout' },
  ];
  const seen: string[] = [];
  for (const fault of faults) {
    for (const method of methods(quick, quickDirectory, upload)) {
      if (fault.kind === 'timeout' && method.name === 'uploadFile') continue;
      zd.faults.clear();
      // every try of the call meets the fault (retries included)
      zd.faults.next({ kind: fault.kind, ...(fault.bytes ? { bytes: fault.bytes } : {}) }, { count: 10 });
      const outcome = await bounded(method.run(1), CALL_BOUND_MS);
      tally(outcome);
      const where = `${method.name} with fault ${fault.kind}`;
      assert.notEqual(outcome, 'hung', where);
      if (outcome === 'hung') continue;
      if ('value' in outcome) {
        // `huge` is a 200 with a body of no use: only a method that finds nothing may succeed.
        assert.equal(fault.kind, 'huge', `${where}: succeeded`);
        method.check(outcome.value, where);
        seen.push(`${method.name}/${fault.kind}: ok`);
        continue;
      }
      const code = checkError(outcome.error, where);
      seen.push(`${method.name}/${fault.kind}: ${code}`);
    }
  }
  zd.faults.clear();
  t.diagnostic(
    `fake faults: ${seen.length} calls, ${seen.filter((s) => s.endsWith(': ok')).length} ok, codes ${[...new Set(seen.map((s) => s.split(': ')[1]))].join(', ')}`,
  );
});
