import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CallObserver, CallOutcome } from '../calls/call-observer.ts';
import { RECORDING_STATES } from '../recordings/recording-journal.ts';
import type { ZendeskResult } from '../zendesk/zendesk-http.ts';
import type { IntegrationSnapshot } from './integration-snapshot.ts';
import { readiness } from './readiness.ts';
import { statusLabel } from './zendesk-health.ts';

/** The hooks an integration feeds; the daemon's metrics implement them. */
export interface IntegrationMetrics {
  readonly calls: CallObserver;
  cacheRead(hit: boolean): void;
  /** A request on the wire: an API request, or an OAuth token refresh (which has no lane). */
  zendeskResult(result: Omit<ZendeskResult, 'lane'>): void;
  amiReconnected(): void;
}

/** What a scrape reads at that moment: whether a profile runs, and what its integration reports. */
export type MetricsSource = () => { running: boolean; snapshot: IntegrationSnapshot | undefined };

export interface BridgeMetricsOptions {
  source: MetricsSource;
  /** Node's process metrics (CPU, memory, event loop lag) too: for the daemon process, not tests. */
  processMetrics?: boolean;
}

const P = 'cti_bridge_';
const OUTCOMES: readonly CallOutcome[] = ['ticket', 'failed', 'abandoned', 'ignored'];
/** Pops are measured against "the agent sees it as they pick up": tens of ms to a few seconds. */
const POP_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const REQUEST_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15];

/**
 * The daemon's Prometheus metrics (prom-client, a registry of its own, never the global one).
 * Counters and histograms are fed through hooks while calls run and survive profile switches;
 * gauges are read from the running integration at scrape time, so they cannot drift.
 */
export class BridgeMetrics implements IntegrationMetrics {
  readonly registry = new Registry();
  readonly calls: CallObserver;
  readonly #source: MetricsSource;
  /** Read once per scrape, then shared by every gauge's collect. */
  #scrape: ReturnType<MetricsSource> = { running: false, snapshot: undefined };
  readonly #callsTotal: Counter<'outcome'>;
  readonly #pop: Histogram;
  readonly #cache: Counter<'result'>;
  readonly #requests: Counter<'endpoint' | 'status'>;
  readonly #rateLimited: Counter;
  readonly #duration: Histogram<'endpoint'>;
  readonly #reconnects: Counter;

  constructor(options: BridgeMetricsOptions) {
    this.#source = options.source;
    const registers = [this.registry];
    this.#callsTotal = new Counter({
      name: `${P}calls_total`,
      help: 'Calls by outcome: ticket, failed (first ticket try failed, no pop), abandoned, ignored (queue not handled).',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of OUTCOMES) this.#callsTotal.inc({ outcome }, 0);
    this.#pop = new Histogram({
      name: `${P}pop_latency_seconds`,
      help: "AgentConnect received to the ticket open on the agent's screen, for pops at pickup.",
      buckets: POP_BUCKETS,
      registers,
    });
    this.#cache = new Counter({
      name: `${P}lookup_cache_total`,
      help: 'Caller lookups answered from the cache (hit) or sent to Zendesk (miss).',
      labelNames: ['result'],
      registers,
    });
    this.#cache.inc({ result: 'hit' }, 0);
    this.#cache.inc({ result: 'miss' }, 0);
    this.#requests = new Counter({
      name: `${P}zendesk_requests_total`,
      help: 'Zendesk requests on the wire by endpoint template and HTTP status (or network error code).',
      labelNames: ['endpoint', 'status'],
      registers,
    });
    this.#rateLimited = new Counter({
      name: `${P}zendesk_rate_limited_total`,
      help: 'Zendesk answers 429 Too Many Requests.',
      registers,
    });
    this.#duration = new Histogram({
      name: `${P}zendesk_request_duration_seconds`,
      help: 'Zendesk request latency by endpoint template, sent to answer (or to the network error).',
      labelNames: ['endpoint'],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    this.#reconnects = new Counter({
      name: `${P}ami_reconnects_total`,
      help: 'AMI logins after a lost link (the first login of a profile is not counted).',
      registers,
    });
    this.#scrapeGauges(registers);
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: P });
    this.calls = {
      outcome: (outcome) => this.#callsTotal.inc({ outcome }),
      popped: (ms) => this.#pop.observe(ms / 1000),
    };
  }

  cacheRead(hit: boolean): void {
    this.#cache.inc({ result: hit ? 'hit' : 'miss' });
  }

  zendeskResult(result: Omit<ZendeskResult, 'lane'>): void {
    const status = String(statusLabel(result));
    this.#requests.inc({ endpoint: result.endpoint, status });
    if (result.status === 429) this.#rateLimited.inc();
    this.#duration.observe({ endpoint: result.endpoint }, result.durationMs / 1000);
  }

  amiReconnected(): void {
    this.#reconnects.inc();
  }

  /** The Prometheus text exposition of every metric. */
  async render(): Promise<{ contentType: string; body: string }> {
    this.#scrape = this.#source();
    try {
      return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    } finally {
      this.#scrape = { running: false, snapshot: undefined };
    }
  }

  /**
   * Gauges of what is, read at scrape time. Those of the integration carry the profile's name and
   * are absent while no profile runs, so an idle daemon shows no stale or made-up values.
   */
  #scrapeGauges(registers: Registry[]): void {
    const plain = (name: string, help: string, value: () => number) =>
      new Gauge({
        name: `${P}${name}`,
        help,
        registers,
        collect() {
          this.set(value());
        },
      });
    plain('profile_running', 'Whether an active profile runs (1) or the daemon is idle (0).', () =>
      this.#scrape.running ? 1 : 0,
    );
    plain(
      'ready',
      'Whether /readyz answers 200: profile running, AMI logged in, synced, Zendesk answering.',
      () => (readiness(this.#scrape.running, this.#scrape.snapshot).ready ? 1 : 0),
    );
    const ofProfile = (
      name: string,
      help: string,
      labels: string[],
      fill: (set: SetGauge, s: IntegrationSnapshot) => void,
    ) => {
      const current = () => this.#scrape.snapshot;
      new Gauge({
        name: `${P}${name}`,
        help,
        labelNames: ['profile', ...labels],
        registers,
        collect() {
          // A label set that is gone (the profile stopped, a state emptied) must vanish, not linger.
          this.reset();
          const s = current();
          if (s) fill((value, more = {}) => this.set({ profile: s.profile, ...more }, value), s);
        },
      });
    };
    ofProfile('ami_up', 'Whether the AMI link is logged in.', [], (set, s) =>
      set(s.ami.state === 'up' ? 1 : 0),
    );
    ofProfile(
      'calls_in_progress',
      'Calls the handler tracks: queued, talking, in wrap-up.',
      ['state'],
      (set, s) => {
        set(s.calls.queued, { state: 'queued' });
        set(s.calls.talking, { state: 'talking' });
        set(s.calls.wrappingUp, { state: 'wrapping_up' });
      },
    );
    ofProfile('lookup_cache_entries', 'Numbers in the caller cache (memory store only).', [], (set, s) => {
      if (s.cache.entries !== undefined) set(s.cache.entries);
    });
    ofProfile(
      'journal_pending',
      'Answered calls the journal still owes a ticket, and ended calls it still owes a wrap-up.',
      ['work'],
      (set, s) => {
        set(s.pending.tickets, { work: 'ticket' });
        set(s.pending.wrapUps, { work: 'wrapup' });
      },
    );
    ofProfile(
      'zendesk_rate_limit_remaining',
      'X-Rate-Limit-Remaining of the last Zendesk answer, less the requests sent since.',
      [],
      (set, s) => {
        if (s.zendesk.rate.remaining !== undefined) set(s.zendesk.rate.remaining);
      },
    );
    ofProfile(
      'zendesk_rate_limit',
      'X-Rate-Limit of the last Zendesk answer (requests per minute).',
      [],
      (set, s) => {
        if (s.zendesk.rate.limit !== undefined) set(s.zendesk.rate.limit);
      },
    );
    ofProfile(
      'zendesk_requests_waiting',
      'Zendesk requests waiting for a slot, by lane (pop, lookup, background).',
      ['lane'],
      (set, s) => {
        for (const [lane, stats] of Object.entries(s.zendesk.lanes)) set(stats.waiting, { lane });
      },
    );
    ofProfile(
      'recordings',
      'Recordings in the journal by state (recording, recorded, attached, copied, expired, failed).',
      ['state'],
      (set, s) => {
        if (s.recordings) for (const state of RECORDING_STATES) set(s.recordings.states[state], { state });
      },
    );
    ofProfile(
      'share_copy_last_run_timestamp_seconds',
      'When the last copy run to the share ended (or started, while it runs).',
      [],
      (set, s) => {
        const run = s.recordings?.lastCopy;
        if (run) set((run.finishedAt ?? run.startedAt) / 1000);
      },
    );
    ofProfile(
      'share_copy_last_run_success',
      'Whether the last finished copy run copied everything (1) or not (0: partial, failed, interrupted).',
      [],
      (set, s) => {
        const run = s.recordings?.lastCopy;
        if (run && run.outcome !== 'running') set(run.outcome === 'ok' ? 1 : 0);
      },
    );
    ofProfile(
      'sync_unmatched',
      'What the last successful directory sync could not match: PBX users (no agent, no email), queues (no group, not on the PBX).',
      ['kind'],
      (set, s) => {
        const u = s.sync.unmatched;
        if (!u) return;
        set(u.users.length + u.withoutEmail.length, { kind: 'users' });
        set(u.queues.length + u.missingOnPbx.length, { kind: 'queues' });
      },
    );
  }
}

type SetGauge = (value: number, labels?: Record<string, string>) => void;
