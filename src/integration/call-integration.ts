import type { CountryCode } from 'libphonenumber-js';
import { type CallerCache, createCallerCache } from '../calls/cache-store.ts';
import { CallHandler } from '../calls/call-handler.ts';
import { CallJournal } from '../calls/call-journal.ts';
import { CallerLookup } from '../calls/caller-lookup.ts';
import type { CallEvent } from '../calls/events.ts';
import type { Directory } from '../calls/ports.ts';
import type { ResolvedProfile } from '../config/config-dir.ts';
import type { Integration, IntegrationDeps } from '../daemon/integration.ts';
import { DirectorySnapshot } from '../directory/directory-snapshot.ts';
import { syncDirectory } from '../directory/directory-sync.ts';
import type { Logger } from '../log/logger.ts';
import { MirroredHelpdesk } from '../mirror/mirrored-helpdesk.ts';
import { type MirrorTiming, PhoneMirror } from '../mirror/phone-mirror.ts';
import {
  cacheStoreLabel,
  type IntegrationSnapshot,
  type SyncReport,
  snapshotOf,
} from '../ops/integration-snapshot.ts';
import type { IntegrationMetrics } from '../ops/metrics.ts';
import { ZendeskHealth } from '../ops/zendesk-health.ts';
import { AmiClient } from '../pbx/ami-client.ts';
import { callEventFromAmi } from '../pbx/call-events-from-ami.ts';
import { CallResync } from '../pbx/call-resync.ts';
import { AmiPbxDirectory } from '../pbx/pbx-directory.ts';
import { RecordingsService } from '../recordings/recordings-service.ts';
import type { TokenRequestResult } from '../zendesk/oauth-token-endpoint.ts';
import { TokenFile } from '../zendesk/oauth-token-file.ts';
import { zendeskFromProfile } from './zendesk-from-profile.ts';

/** Events that arrive before the first sync finished wait here; a bound keeps memory finite. */
const MAX_BUFFERED_EVENTS = 10_000;
const SYNC_RETRY_MS = 30_000;
/** Finished calls stay in the journal this long (for an admin looking into a call), then go. */
const JOURNAL_KEEP_MS = 86_400_000;
/** How often the calls the handler tracks are compared with the PBX even without a reconnect: an end lost while the link stayed up is found within this. */
const RESYNC_INTERVAL_MS = 5 * 60_000;

/** Timings that are constants in production; fault tests shorten them to run in seconds. */
export interface IntegrationTuning {
  /** Waits between tries of a ticket or wrap-up Zendesk did not take. */
  retry?: { firstMs: number; maxMs: number };
  /** Per-request timeout towards Zendesk (default 15 s). */
  zendeskTimeoutMs?: number;
  /** Poll interval and request spacing of the phone directory mirror (`lookup.source: mirror`). */
  mirror?: MirrorTiming;
}

/**
 * Everything an active profile runs: the AMI link, the Zendesk client, the start-up sync and the
 * call handler. Calls are handled once the first sync has matched agents and groups; events that
 * come earlier are kept and replayed then.
 */
export class CallIntegration implements Integration {
  readonly #profile: ResolvedProfile;
  readonly #log: Logger;
  readonly #logger: Logger;
  #directory: DirectorySnapshot = DirectorySnapshot.empty();
  #ami: AmiClient | undefined;
  #cache: CallerCache<never> | undefined;
  #handler: CallHandler | undefined;
  #zendesk: ReturnType<typeof zendeskFromProfile> | undefined;
  #recordings: RecordingsService | undefined;
  #journal: CallJournal | undefined;
  #mirror: PhoneMirror | undefined;
  #resync: CallResync | undefined;
  #compactTimer: NodeJS.Timeout | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;
  #ready = false;
  #buffer: CallEvent[] = [];
  #syncTimer: NodeJS.Timeout | undefined;
  #syncRetry: NodeJS.Timeout | undefined;
  #syncing: Promise<void> | undefined;
  #stopped = false;
  readonly #readiness = Promise.withResolvers<boolean>();
  readonly #metrics: IntegrationMetrics | undefined;
  readonly #zendeskHealth = new ZendeskHealth();
  #amiLogins = 0;
  #syncReport: SyncReport = { state: 'never' };

  readonly #tuning: IntegrationTuning;

  constructor(profile: ResolvedProfile, deps: IntegrationDeps, tuning: IntegrationTuning = {}) {
    this.#profile = profile;
    this.#tuning = tuning;
    this.#logger = deps.logger.with({ profile: profile.name });
    this.#log = this.#logger.child('calls');
    this.#metrics = deps.metrics;
  }

  async start(): Promise<void> {
    const p = this.#profile;
    // One namespace per Zendesk account: user ids mean nothing in another account.
    this.#cache = createCallerCache<never>(
      p.cache.store,
      p.cache.password,
      `cti-bridge:${new URL(p.zendesk.baseUrl).host}`,
    );
    const metrics = this.#metrics;
    this.#zendesk = zendeskFromProfile(p.zendesk, this.#logger, {
      ...(this.#tuning.zendeskTimeoutMs ? { timeoutMs: this.#tuning.zendeskTimeoutMs } : {}),
      tokenFile: TokenFile.pathFor(p.stateDirectory, p.name),
      onResult: (result) => {
        this.#zendeskHealth.record(result);
        metrics?.zendeskResult(result);
      },
      ...(metrics ? { onTokenRequest: (result: TokenRequestResult) => metrics.zendeskResult(result) } : {}),
    });
    await this.#zendesk.auth.start?.();
    this.#journal = CallJournal.open(CallJournal.fileFor(p.stateDirectory, p.name));
    this.#compactJournal();
    this.#compactTimer = setInterval(() => this.#compactJournal(), JOURNAL_KEEP_MS / 24);
    this.#compactTimer.unref();
    this.#mirror =
      p.lookup.source === 'mirror'
        ? new PhoneMirror({
            source: this.#zendesk.userExport,
            defaultCountry: p.lookup.defaultCountry as CountryCode,
            maxNumbers: p.lookup.mirror.maxNumbers,
            staleAfterMs: p.lookup.mirror.staleAfterMinutes * 60_000,
            logger: this.#logger,
            ...(this.#tuning.mirror ? { timing: this.#tuning.mirror } : {}),
          })
        : undefined;
    const lookup = new CallerLookup({
      helpdesk: this.#zendesk.helpdesk,
      cache: this.#cache.keyv as never,
      positiveTtlMs: p.cache.positiveTtlSeconds * 1000,
      negativeTtlMs: p.cache.negativeTtlSeconds * 1000,
      logger: this.#logger,
      ...(metrics ? { onCacheRead: (hit: boolean) => metrics.cacheRead(hit) } : {}),
      ...(this.#mirror ? { directory: this.#mirror } : {}),
    });
    const directory: Directory = {
      agentFor: (member) => this.#directory.agentFor(member),
      groupFor: (queue) => this.#directory.groupFor(queue),
      defaultUserId: () => this.#directory.defaultUserId(),
      isProtectedUser: (id) => this.#directory.isProtectedUser(id),
    };
    this.#ami = new AmiClient({
      host: p.pbx.host,
      port: p.pbx.port,
      username: p.pbx.username,
      secret: p.pbx.secret,
      logger: this.#logger,
      // The answer's pop request leaves before the rest of a busy read is handled (issue 6, goal 3).
      yieldAfter: (event) => event.name === 'AgentConnect',
    });
    const ami = this.#ami;
    this.#recordings = RecordingsService.fromProfile(p, {
      ami: { action: (fields) => ami.action(fields) },
      helpdesk: this.#zendesk.helpdesk,
      logger: this.#logger,
    });
    const recordings = this.#recordings;
    this.#handler = new CallHandler({
      helpdesk: this.#mirror
        ? new MirroredHelpdesk(this.#zendesk.helpdesk, this.#mirror)
        : this.#zendesk.helpdesk,
      lookup,
      directory,
      queues: new Set(Object.keys(p.queues)),
      defaultCountry: p.lookup.defaultCountry as CountryCode,
      strategy: p.unknownCallers.strategy,
      answerWaitMs: p.lookup.answerWaitMs,
      wrapUpSeconds: p.wrapUpSeconds,
      templates: p.tickets,
      logger: this.#logger,
      journal: this.#journal,
      ...(metrics ? { observer: metrics.calls } : {}),
      ...(this.#tuning.retry ? { retry: this.#tuning.retry } : {}),
      ...(recordings
        ? {
            recordings: recordings.attacher,
            onTicket: (callId: string, ticketId: number) => recordings.ticket(callId, ticketId),
          }
        : {}),
    });
    this.#recordings?.start();
    this.#mirror?.start();
    this.#ami.onEvent((message) => {
      const translated = callEventFromAmi(message, Date.now());
      if (!translated) return;
      if ('skip' in translated) {
        this.#logger
          .child('ami')
          .debug('AMI event skipped', { reason: translated.skip, callId: translated.callId });
        return;
      }
      this.#dispatch(translated.event);
    });
    // Reconnect resync (src/pbx/call-resync.ts): after each reconnect once the first sync has
    // run, calls queued, answered or ended while the link was down are rebuilt from the PBX.
    const resync = new CallResync({
      ami: this.#ami,
      known: () => this.#handler?.inProgress() ?? [],
      queues: new Set(Object.keys(p.queues)),
      dispatch: (event) => this.#dispatch(event),
      logger: this.#logger,
    });
    this.#resync = resync;
    this.#ami.onUp(() => {
      if (++this.#amiLogins > 1) metrics?.amiReconnected();
      if (!this.#ready) {
        resync.skip();
        void this.sync();
      } else resync.request();
    });
    this.#ami.start();
    const minutes = p.sync.intervalMinutes;
    if (minutes > 0) {
      this.#syncTimer = setInterval(() => void this.sync(), minutes * 60_000);
      this.#syncTimer.unref();
    }
  }

  /** True once the start-up sync has matched agents and groups (call handling on); false if stopped first. */
  ready(): Promise<boolean> {
    return this.#readiness.promise;
  }

  snapshot(): IntegrationSnapshot {
    const p = this.#profile;
    return snapshotOf({
      profile: p.name,
      amiAddress: `${p.pbx.host}:${p.pbx.port}`,
      ami: this.#ami,
      amiReconnects: Math.max(0, this.#amiLogins - 1),
      zendeskUrl: p.zendesk.baseUrl,
      zendesk: this.#zendesk
        ? { http: this.#zendesk.http, health: this.#zendeskHealth, auth: this.#zendesk.auth }
        : undefined,
      handler: this.#handler,
      cacheStore: cacheStoreLabel(p.cache.store),
      cache: this.#cache,
      journal: this.#journal,
      recordings: this.#recordings?.journal,
      sync: this.#syncReport,
    });
  }

  /** `cti-bridge recordings copy-now`. */
  async copyNow(): Promise<void> {
    await this.#recordings?.copyNow();
  }

  /** The start-up sync, again: on the interval and on `cti-bridge sync`. One at a time. */
  sync(): Promise<void> {
    this.#syncing ??= this.#runSync().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async stop(deadline: number): Promise<void> {
    this.#stopped = true;
    this.#readiness.resolve(false);
    clearInterval(this.#syncTimer);
    clearTimeout(this.#syncRetry);
    clearInterval(this.#compactTimer);
    clearInterval(this.#resyncTimer);
    this.#mirror?.stop();
    await this.#handler?.stop(deadline);
    await this.#recordings?.stop(deadline);
    await this.#ami?.stop();
    await this.#zendesk?.auth.stop?.(deadline);
    this.#zendesk?.http.lanes.clear();
    await this.#cache?.close();
    this.#journal?.close();
  }

  #dispatch(event: CallEvent): void {
    if (this.#ready) {
      this.#handle(event);
      return;
    }
    if (this.#buffer.length >= MAX_BUFFERED_EVENTS) {
      this.#log.error('call events dropped: the first sync has not finished', { callId: event.callId });
      return;
    }
    this.#buffer.push(event);
  }

  #compactJournal(): void {
    try {
      this.#journal?.compact(Date.now() - JOURNAL_KEEP_MS);
    } catch (error) {
      this.#log.warn('call journal not compacted', { err: error });
    }
  }

  #handle(event: CallEvent): void {
    this.#handler?.handle(event);
    // The handler ignores queues this profile does not have; the recorder records only `record: true` ones.
    this.#recordings?.handle(event);
  }

  async #runSync(): Promise<void> {
    const p = this.#profile;
    if (!this.#ami || !this.#zendesk || this.#stopped) return;
    try {
      this.#directory = await syncDirectory({
        pbx: new AmiPbxDirectory(this.#ami),
        helpdesk: this.#zendesk.directory,
        queues: p.queues,
        userEmails: p.pbx.userEmails ?? {},
        defaultUser: p.unknownCallers.defaultUser,
        logger: this.#logger,
      });
    } catch (error) {
      this.#syncReport = {
        ...this.#syncReport,
        state: 'failed',
        at: Date.now(),
        error: (error as Error).message,
      };
      this.#logger
        .child('sync')
        .error('sync failed', { err: error, retryInMs: this.#ready ? undefined : SYNC_RETRY_MS });
      if (!this.#ready && !this.#stopped) {
        this.#syncRetry = setTimeout(() => void this.sync(), SYNC_RETRY_MS);
        this.#syncRetry.unref();
      }
      return;
    }
    this.#syncReport = {
      state: 'ok',
      at: Date.now(),
      matched: this.#directory.counts,
      unmatched: this.#directory.unmatched,
    };
    if (!this.#ready) {
      this.#ready = true;
      this.#readiness.resolve(true);
      // What a previous run left unfinished comes first: its calls are older than the buffered events.
      const unfinished = this.#journal?.unfinished() ?? [];
      this.#handler?.restore(unfinished);
      const buffered = this.#buffer;
      this.#buffer = [];
      for (const event of buffered) this.#handle(event);
      // Calls answered or ended while no daemon listened (a restart, a profile switched off and
      // on) are read back from the PBX, as after a reconnect.
      this.#resync?.request();
      this.#resyncTimer = setInterval(() => {
        if (this.#ami?.state === 'up') this.#resync?.request();
      }, RESYNC_INTERVAL_MS);
      this.#resyncTimer.unref();
    }
  }
}
