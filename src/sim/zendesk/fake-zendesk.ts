import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, silentLogger } from '../../log/logger.ts';
import { type CredentialsConfig, DEFAULT_CREDENTIALS, TokenStore } from './auth.ts';
import { type Clock, systemClock } from './clock.ts';
import { Connections } from './connections.ts';
import type { Gate } from './dispatch.ts';
import { ExportLog } from './export-log.ts';
import { FaultController } from './faults.ts';
import { IDEMPOTENCY_RETENTION_MS, IdempotencyStore } from './idempotency.ts';
import { JobQueue } from './jobs.ts';
import { RateLimiter } from './rate-limit.ts';
import type { GroupRecord, Pop, UserRecord } from './records.ts';
import { json } from './reply.ts';
import { type RecordedRequest, RequestLog } from './request-log.ts';
import { requestPipeline } from './request-pipeline.ts';
import { writeReply } from './respond.ts';
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
  /** How long until a change reaches the incremental user export; 60 s by default (Zendesk's rule). */
  exportLagMs?: number;
  /** The incremental exports' own per-minute limit; 10 by default. */
  exportRateLimitPerMinute?: number;
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
  /** How long (on the fake's clock) a background job (update_many) takes to land; 0 by default. */
  jobDelayMs?: number;
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
  /**
   * Adds a user directly (no HTTP, no rate budget). Unless `searchable: false` the user is an old
   * one: searchable and in the incremental export at once; otherwise both lags apply.
   */
  addUser(user: SeedUser, options?: { searchable?: boolean }): UserRecord;
  addGroup(group: SeedGroup): GroupRecord;
  setRateLimitPerMinute(limit: number): void;
  /** Revokes every OAuth access and refresh token, as deleting the token in Admin Center does; returns how many. */
  revokeOAuthTokens(): number;
  /** A new OAuth pair for the configured client, as an admin creates one (authorization code grant). */
  grantOAuthTokens(): { accessToken: string; refreshToken: string };
  close(): Promise<void>;
}

export async function startFakeZendesk(options: FakeZendeskOptions = {}): Promise<FakeZendesk> {
  const clock = options.clock ?? systemClock();
  const logger = (options.logger ?? silentLogger()).child('sim').with({ sim: 'zendesk' });
  const credentials = options.credentials ?? DEFAULT_CREDENTIALS;
  const index = new SearchIndex({ clock, lagMs: options.searchLagMs ?? 120_000 });
  const exportLog = new ExportLog({ clock, lagMs: options.exportLagMs ?? 60_000 });
  const state: ZendeskState = new ZendeskState({
    clock,
    onUserChanged: (user) => {
      index.schedule(indexedUser(state, user));
      exportLog.record(user.id);
    },
  });
  let baseUrl = '';
  const world: World = {
    state,
    index,
    exportLog,
    clock,
    pops: [],
    tokens: new TokenStore({ clock, oauth: credentials.oauth }),
    jobs: new JobQueue({ clock, delayMs: options.jobDelayMs ?? 0 }),
    baseUrl: () => baseUrl,
    maxUploadBytes: options.maxUploadBytes ?? 50 * 1024 * 1024,
    uploadTokenTtlMs: options.uploadTokenTtlMs ?? 60 * 60 * 1000,
  };
  const oauthUserEmail = credentials.oauthUserEmail ?? DEFAULT_CREDENTIALS.oauthUserEmail;
  const gate: Gate = {
    apiTokens: credentials.apiTokens ?? [],
    oauthUserEmail,
    limiter: new RateLimiter({ clock, limitPerMinute: options.rateLimitPerMinute ?? 700 }),
    exportLimiter: new RateLimiter({ clock, limitPerMinute: options.exportRateLimitPerMinute ?? 10 }),
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
  exportLog.settleAll();

  const faults = new FaultController({ clock, latencyMs: options.latencyMs ?? 0 });
  const log = new RequestLog();
  const connections = new Connections();
  const handle = requestPipeline({
    world,
    gate,
    router: zendeskRouter(),
    faults,
    log,
    logger,
    wait: (ms) => connections.wait(ms),
  });

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('fake zendesk handler failed', { error: String(error) });
      if (!res.headersSent)
        writeReply(res, json(500, { error: 'InternalServerError', description: String(error) }));
      else res.destroy();
    });
  });
  connections.track(server);
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
      if (opts.searchable !== false) {
        index.indexNow(indexedUser(state, created));
        exportLog.settle(created.id);
      }
      return created;
    },
    addGroup: (group) => addGroup(state, group),
    setRateLimitPerMinute: (limit) => gate.limiter.setLimit(limit),
    revokeOAuthTokens: () => world.tokens.revokeAll(),
    grantOAuthTokens: () => {
      const issued = world.tokens.grant();
      if (!issued) throw new Error('the fake Zendesk has no OAuth client configured');
      return { accessToken: issued.access_token, refreshToken: issued.refresh_token };
    },
    close: () => connections.close(server),
  };
}
