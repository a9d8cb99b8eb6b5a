import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Logger, silentLogger } from '../../log/logger.ts';
import { type CredentialsConfig, DEFAULT_CREDENTIALS, TokenStore } from './auth.ts';
import { type Clock, systemClock } from './clock.ts';
import { dispatch, type Gate } from './dispatch.ts';
import { FaultController, type ResolvedFault } from './faults.ts';
import { parseBody, readBody } from './http-body.ts';
import { IDEMPOTENCY_RETENTION_MS, IdempotencyStore } from './idempotency.ts';
import { RateLimiter } from './rate-limit.ts';
import type { GroupRecord, Pop, UserRecord } from './records.ts';
import { badRequest, json } from './reply.ts';
import { queryObject, type RecordedRequest, RequestLog, redactBody, redactHeaders } from './request-log.ts';
import { writeFaultBody, writeReply } from './respond.ts';
import { unmatchedEndpoint } from './router.ts';
import { zendeskRouter } from './routes.ts';
import { SearchIndex } from './search-index.ts';
import {
  addGroup,
  applySeed,
  defaultSeed,
  type SeedData,
  type SeedGroup,
  type SeedUser,
  seedUser,
} from './seed.ts';
import { ZendeskState, type ZendeskStateView } from './state.ts';
import { indexedUser } from './user-writer.ts';
import type { World } from './world.ts';

/** JSON bodies beyond this are refused; uploads have their own limit. */
const MAX_JSON_BYTES = 8 * 1024 * 1024;

export interface FakeZendeskOptions {
  /** 0 (any free port) by default. The server listens on 127.0.0.1 only. */
  port?: number;
  clock?: Clock;
  /** The lab account (true, the default), your own data, or an empty account (false). */
  seed?: boolean | SeedData;
  credentials?: CredentialsConfig;
  /** 700 (Enterprise) by default. */
  rateLimitPerMinute?: number;
  /** How long until a created or changed user is searchable; 120 s by default. */
  searchLagMs?: number;
  /** When false, the Talk Partner Edition endpoints answer 403. True by default. */
  talkPartnerEdition?: boolean;
  /** Wall-clock delay before every answer; 0 by default. */
  latencyMs?: number;
  /** 50 MiB by default. */
  maxUploadBytes?: number;
  /** 60 minutes by default. */
  uploadTokenTtlMs?: number;
  /** 2 hours by default. */
  idempotencyRetentionMs?: number;
  logger?: Logger;
}

export interface FakeZendesk {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly clock: Clock;
  /** Every request in arrival order, credentials redacted. */
  readonly requests: readonly RecordedRequest[];
  /** What was popped on which agent's screen. */
  readonly pops: readonly Pop[];
  readonly state: ZendeskStateView;
  readonly faults: FaultController;
  /** The credentials the server accepts (the defaults unless configured). */
  readonly credentials: CredentialsConfig;
  countByEndpoint(): Record<string, number>;
  /** Adds a user directly (no HTTP, no rate budget), searchable at once unless `searchable: false`. */
  addUser(user: SeedUser, options?: { searchable?: boolean }): UserRecord;
  addGroup(group: SeedGroup): GroupRecord;
  setRateLimitPerMinute(limit: number): void;
  close(): Promise<void>;
}

export async function startFakeZendesk(options: FakeZendeskOptions = {}): Promise<FakeZendesk> {
  const clock = options.clock ?? systemClock();
  const logger = (options.logger ?? silentLogger()).child('sim').with({ sim: 'zendesk' });
  const credentials = options.credentials ?? DEFAULT_CREDENTIALS;
  const index = new SearchIndex({ clock, lagMs: options.searchLagMs ?? 120_000 });
  const state: ZendeskState = new ZendeskState({
    clock,
    onUserChanged: (user) => index.schedule(indexedUser(state, user)),
  });
  let baseUrl = '';
  const world: World = {
    state,
    index,
    clock,
    pops: [],
    tokens: new TokenStore({ clock, oauth: credentials.oauth }),
    baseUrl: () => baseUrl,
    maxUploadBytes: options.maxUploadBytes ?? 50 * 1024 * 1024,
    uploadTokenTtlMs: options.uploadTokenTtlMs ?? 60 * 60 * 1000,
  };
  const oauthUserEmail = credentials.oauthUserEmail ?? DEFAULT_CREDENTIALS.oauthUserEmail;
  const gate: Gate = {
    apiTokens: credentials.apiTokens ?? [],
    oauthUserEmail,
    limiter: new RateLimiter({ clock, limitPerMinute: options.rateLimitPerMinute ?? 700 }),
    idempotency: new IdempotencyStore({
      clock,
      retentionMs: options.idempotencyRetentionMs ?? IDEMPOTENCY_RETENTION_MS,
    }),
    talkPartnerEdition: options.talkPartnerEdition ?? true,
  };
  const seed = options.seed ?? true;
  if (seed !== false) applySeed(state, seed === true ? defaultSeed() : seed);
  // Whoever the credentials name must exist: an account always has the user its tokens belong to.
  for (const email of [oauthUserEmail, ...gate.apiTokens.map((t) => t.email)]) {
    if (!state.userByEmail(email)) seedUser(state, { name: email, role: 'admin', email });
  }
  index.catchUp();

  const faults = new FaultController({ clock, latencyMs: options.latencyMs ?? 0 });
  const log = new RequestLog();
  const router = zendeskRouter();
  const sockets = new Set<Socket>();
  const waits = new Set<{ timer: NodeJS.Timeout; resolve: (go: boolean) => void }>();
  let closing = false;

  /** Resolves true after `ms`, or false at once if the server closes meanwhile. */
  const wait = (ms: number): Promise<boolean> => {
    if (ms <= 0) return Promise.resolve(!closing);
    return new Promise((resolve) => {
      const entry = { timer: setTimeout(() => waits.delete(entry) && resolve(!closing), ms), resolve };
      waits.add(entry);
    });
  };

  const applyFault = async (
    fault: ResolvedFault,
    req: IncomingMessage,
    res: ServerResponse,
    entry: RecordedRequest,
  ) => {
    entry.fault = fault.kind === 'status' ? String(fault.status) : fault.kind;
    if (fault.kind === 'timeout') {
      entry.outcome = 'timeout';
      return; // held until close() destroys the socket
    }
    if (fault.kind === 'drop') {
      entry.outcome = 'dropped';
      req.socket.destroy();
      return;
    }
    entry.status = fault.status;
    entry.outcome = 'answered';
    await writeFaultBody(res, fault);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', baseUrl);
    const match = router.match(method, url.pathname);
    const endpoint = match?.endpoint ?? unmatchedEndpoint(method);
    const body = await readBody(req, match?.route.rawBody ? world.maxUploadBytes : MAX_JSON_BYTES);
    const parsed = match?.route.rawBody
      ? { ok: true as const, value: undefined }
      : parseBody(body.raw, req.headers['content-type']);
    const entry = log.add({
      at: clock.now(),
      method,
      path: url.pathname,
      query: queryObject(url.searchParams),
      headers: redactHeaders(req.headers),
      body: parsed.ok ? redactBody(parsed.value) : undefined,
      bodyBytes: body.bytes,
      endpoint,
    });
    if (!(await wait(faults.latencyFor(endpoint)))) return;
    const fault = faults.pick(endpoint);
    if (fault && !fault.after) return applyFault(fault, req, res, entry);

    const reply = !parsed.ok
      ? badRequest('InvalidJSON', parsed.reason)
      : body.tooLarge && !match?.route.rawBody
        ? json(413, { error: 'RequestTooLarge', description: 'The request body is too large' })
        : dispatch(
            match,
            {
              world,
              query: url.searchParams,
              body: parsed.value,
              raw: body.raw,
              bodyTooLarge: body.tooLarge,
              bodyBytes: body.bytes,
              headers: req.headers,
              selfUrl: `${baseUrl}${url.pathname}`,
            },
            gate,
          );
    if (fault) return applyFault(fault, req, res, entry);
    entry.status = reply.status;
    entry.outcome = 'answered';
    writeReply(res, reply);
    logger.debug(() => `${method} ${url.pathname} → ${reply.status}`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('fake zendesk handler failed', { error: String(error) });
      if (!res.headersSent)
        writeReply(res, json(500, { error: 'InternalServerError', description: String(error) }));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  logger.info('fake zendesk listening', { url: baseUrl });

  return {
    url: baseUrl,
    clock,
    requests: log.entries,
    pops: world.pops,
    state,
    faults,
    credentials,
    countByEndpoint: () => log.countByEndpoint(),
    addUser: (user, opts = {}) => {
      const created = seedUser(state, user);
      if (opts.searchable !== false) index.indexNow(indexedUser(state, created));
      return created;
    },
    addGroup: (group) => addGroup(state, group),
    setRateLimitPerMinute: (limit) => gate.limiter.setLimit(limit),
    close: async () => {
      if (closing) return;
      closing = true;
      for (const entry of waits) {
        clearTimeout(entry.timer);
        entry.resolve(false);
      }
      waits.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
