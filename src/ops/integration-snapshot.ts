import type { CallerCache } from '../calls/cache-store.ts';
import type { CallHandler } from '../calls/call-handler.ts';
import type { CallJournal } from '../calls/call-journal.ts';
import type { UnmatchedReport } from '../directory/directory-snapshot.ts';
import type { AmiLinkState } from '../pbx/ami-client.ts';
import type { CopyRunRecord, RecordingJournal, RecordingState } from '../recordings/recording-journal.ts';
import type { AuthState } from '../zendesk/auth.ts';
import type { Lane } from '../zendesk/request-lanes.ts';
import type { ZendeskHttp } from '../zendesk/zendesk-http.ts';
import type { ZendeskHealth, ZendeskOutcome } from './zendesk-health.ts';

/** The last directory sync: `never` until the first one ends. */
export interface SyncReport {
  state: 'never' | 'ok' | 'failed';
  /** Epoch ms when the last sync ended. */
  at?: number;
  /** Of the last sync that failed, when the last one did. */
  error?: string;
  /** Of the last sync that succeeded. */
  matched?: { agents: number; groups: number };
  unmatched?: UnmatchedReport;
}

/** What the running integration reports to the operations listener, read on each request. */
export interface IntegrationSnapshot {
  profile: string;
  ami: { state: AmiLinkState; address: string; reconnects: number };
  zendesk: {
    url: string;
    /** Whether Zendesk takes the bridge's credentials (`rejected`: an admin must give new OAuth tokens). */
    auth: AuthState;
    last?: ZendeskOutcome;
    lastFailure?: ZendeskOutcome;
    /** What Zendesk's last X-Rate-Limit / X-Rate-Limit-Remaining said, and a 429's hold. */
    rate: { limit?: number; remaining?: number; blockedForMs: number };
    lanes: Record<Lane, { waiting: number; running: number }>;
  };
  calls: { queued: number; talking: number; wrappingUp: number };
  cache: { store: string; entries?: number };
  /** Work the journals owe Zendesk. */
  pending: { tickets: number; wrapUps: number };
  recordings?: { states: Record<RecordingState, number>; lastCopy?: CopyRunRecord };
  sync: SyncReport;
}

/** The parts of a running CallIntegration a snapshot reads; any may be missing while it starts. */
export interface SnapshotParts {
  profile: string;
  amiAddress: string;
  ami: { readonly state: AmiLinkState } | undefined;
  amiReconnects: number;
  zendeskUrl: string;
  zendesk:
    | {
        http: Pick<ZendeskHttp, 'rate' | 'lanes'>;
        health: ZendeskHealth;
        auth: { readonly state: AuthState };
      }
    | undefined;
  handler: Pick<CallHandler, 'activeCalls' | 'inProgress'> | undefined;
  cacheStore: string;
  cache: Pick<CallerCache<never>, 'entries'> | undefined;
  journal: Pick<CallJournal, 'pending'> | undefined;
  recordings: Pick<RecordingJournal, 'counts' | 'lastRun'> | undefined;
  sync: SyncReport;
}

const NO_LANES = {
  pop: { waiting: 0, running: 0 },
  lookup: { waiting: 0, running: 0 },
  background: { waiting: 0, running: 0 },
};

export function snapshotOf(parts: SnapshotParts): IntegrationSnapshot {
  const inProgress = parts.handler?.inProgress() ?? [];
  const queued = inProgress.filter((call) => call.state === 'queued').length;
  const talking = inProgress.length - queued;
  const health = parts.zendesk?.health;
  const entries = parts.cache?.entries?.();
  const pending = once(() => readJournal(() => parts.journal?.pending()) ?? { tickets: 0, wrapUps: 0 });
  const recordings = once(() => recordingsOf(parts.recordings));
  return {
    profile: parts.profile,
    ami: { state: parts.ami?.state ?? 'down', address: parts.amiAddress, reconnects: parts.amiReconnects },
    zendesk: {
      url: parts.zendeskUrl,
      auth: parts.zendesk?.auth.state ?? 'ok',
      ...(health?.last ? { last: health.last } : {}),
      ...(health?.lastFailure ? { lastFailure: health.lastFailure } : {}),
      rate: parts.zendesk?.http.rate.snapshot() ?? { blockedForMs: 0 },
      lanes: parts.zendesk?.http.lanes.stats() ?? NO_LANES,
    },
    calls: {
      queued,
      talking,
      wrappingUp: Math.max(0, (parts.handler?.activeCalls ?? 0) - inProgress.length),
    },
    cache: { store: parts.cacheStore, ...(entries === undefined ? {} : { entries }) },
    // Read from the journals (SQL) on first use, once: `/readyz` needs neither, and the
    // recordings count scans their whole table.
    get pending() {
      return pending();
    },
    get recordings() {
      return recordings();
    },
    sync: parts.sync,
  };
}

function recordingsOf(journal: SnapshotParts['recordings']): IntegrationSnapshot['recordings'] {
  if (!journal) return undefined;
  const states = readJournal(() => journal.counts());
  if (!states) return undefined;
  const lastCopy = readJournal(() => journal.lastRun());
  return { states, ...(lastCopy ? { lastCopy } : {}) };
}

function once<T>(read: () => T): () => T {
  let done = false;
  let value!: T;
  return () => {
    if (!done) {
      value = read();
      done = true;
    }
    return value;
  };
}

/** A journal closed by a stop that raced this request answers nothing rather than an error page. */
function readJournal<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** `cache.store` as status shows it: a redis URL without any user part. */
export function cacheStoreLabel(store: string): string {
  if (!/^rediss?:/.test(store)) return store;
  try {
    const url = new URL(store);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return 'redis';
  }
}
