import type { UnmatchedReport } from '../directory/directory-snapshot.ts';
import { pendingCopy, type RecordingState } from '../recordings/recording-journal.ts';
import type { RecentError } from './error-ring.ts';
import type { IntegrationSnapshot } from './integration-snapshot.ts';
import type { Readiness } from './readiness.ts';
import type { ZendeskOutcome } from './zendesk-health.ts';

type Outcome = Omit<ZendeskOutcome, 'at'> & { at: string };

/** `GET /status`, which `cti-bridge status --json` prints as it is. Times are ISO 8601 strings. */
export interface StatusReport {
  daemon: { version: string; pid: number; startedAt: string; uptimeSeconds: number; state: string };
  /** The running profile; null while idle. */
  profile: { name: string; file: string } | null;
  readiness: Readiness;
  ami: IntegrationSnapshot['ami'] | null;
  zendesk:
    | (Omit<IntegrationSnapshot['zendesk'], 'last' | 'lastFailure'> & {
        state: 'ok' | 'failing' | 'unknown';
        last?: Outcome;
        lastFailure?: Outcome;
      })
    | null;
  calls: IntegrationSnapshot['calls'] | null;
  cache: IntegrationSnapshot['cache'] | null;
  pending: (IntegrationSnapshot['pending'] & { recordingsToCopy?: number }) | null;
  recordings: {
    states: Record<RecordingState, number>;
    lastCopy?: {
      origin: string;
      outcome: string;
      startedAt: string;
      finishedAt?: string;
      copied: number;
      failed: number;
      expired: number;
      message?: string;
    };
  } | null;
  sync: {
    state: 'never' | 'ok' | 'failed';
    at?: string;
    error?: string;
    matched?: { agents: number; groups: number };
    unmatched?: UnmatchedReport;
  } | null;
  /** The last WARN/ERROR lines of this profile and of the daemon, oldest first. */
  recentErrors: RecentError[];
}

export interface StatusInputs {
  version: string;
  pid: number;
  startedAt: number;
  now: number;
  daemonState: string;
  profile: { name: string; file: string } | undefined;
  readiness: Readiness;
  snapshot: IntegrationSnapshot | undefined;
  recentErrors: RecentError[];
}

export function statusReport(input: StatusInputs): StatusReport {
  const s = input.snapshot;
  return {
    daemon: {
      version: input.version,
      pid: input.pid,
      startedAt: iso(input.startedAt),
      uptimeSeconds: Math.round((input.now - input.startedAt) / 1000),
      state: input.daemonState,
    },
    profile: input.profile ?? null,
    readiness: input.readiness,
    ami: s?.ami ?? null,
    zendesk: s ? zendeskPart(s.zendesk) : null,
    calls: s?.calls ?? null,
    cache: s?.cache ?? null,
    pending: s
      ? {
          ...s.pending,
          ...(s.recordings ? { recordingsToCopy: pendingCopy(s.recordings.states) } : {}),
        }
      : null,
    recordings: s?.recordings ? recordingsPart(s.recordings) : null,
    sync: s ? syncPart(s.sync) : null,
    recentErrors: input.recentErrors,
  };
}

function zendeskPart(z: IntegrationSnapshot['zendesk']): NonNullable<StatusReport['zendesk']> {
  const { last, lastFailure, ...rest } = z;
  return {
    ...rest,
    state: last === undefined ? 'unknown' : last.ok ? 'ok' : 'failing',
    ...(last ? { last: { ...last, at: iso(last.at) } } : {}),
    ...(lastFailure ? { lastFailure: { ...lastFailure, at: iso(lastFailure.at) } } : {}),
  };
}

function recordingsPart(
  r: NonNullable<IntegrationSnapshot['recordings']>,
): NonNullable<StatusReport['recordings']> {
  const run = r.lastCopy;
  if (!run) return { states: r.states };
  return {
    states: r.states,
    lastCopy: {
      origin: run.origin,
      outcome: run.outcome,
      startedAt: iso(run.startedAt),
      ...(run.finishedAt === undefined ? {} : { finishedAt: iso(run.finishedAt) }),
      copied: run.copied,
      failed: run.failed,
      expired: run.expired,
      ...(run.message === undefined ? {} : { message: run.message }),
    },
  };
}

function syncPart(sync: IntegrationSnapshot['sync']): NonNullable<StatusReport['sync']> {
  const { at, ...rest } = sync;
  return { ...rest, ...(at === undefined ? {} : { at: iso(at) }) };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
