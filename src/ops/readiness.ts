import type { IntegrationSnapshot } from './integration-snapshot.ts';

export type ReadinessCheck = 'profile' | 'ami' | 'sync' | 'zendesk';

export interface Readiness {
  ready: boolean;
  notReady: Array<{ check: ReadinessCheck; reason: string }>;
}

/**
 * Ready means calls get their tickets now: a profile runs, AMI is logged in, the first directory
 * sync has matched agents and groups (calls wait for it), and the last Zendesk request got an
 * answer that says Zendesk works (and Zendesk has not rejected the bridge's OAuth tokens).
 */
export function readiness(running: boolean, snapshot: IntegrationSnapshot | undefined): Readiness {
  if (!running || !snapshot) {
    return { ready: false, notReady: [{ check: 'profile', reason: 'no active profile' }] };
  }
  const notReady: Readiness['notReady'] = [];
  if (snapshot.ami.state !== 'up') {
    notReady.push({
      check: 'ami',
      reason: `AMI link to ${snapshot.ami.address} is ${snapshot.ami.state}, not logged in`,
    });
  }
  // `matched` is set by every good sync: a later failed one leaves the last good result in use.
  if (snapshot.sync.matched === undefined) {
    notReady.push({
      check: 'sync',
      reason:
        snapshot.sync.state === 'failed'
          ? `the first directory sync failed: ${snapshot.sync.error ?? 'unknown error'}`
          : 'the first directory sync has not finished; calls wait for it',
    });
  }
  const last = snapshot.zendesk.last;
  if (snapshot.zendesk.auth === 'rejected') {
    notReady.push({
      check: 'zendesk',
      reason: 'Zendesk rejected the OAuth refresh token: give the bridge new tokens (docs/zendesk-auth.md)',
    });
  } else if (!last) {
    notReady.push({ check: 'zendesk', reason: 'no Zendesk request has been answered yet' });
  } else if (!last.ok) {
    notReady.push({
      check: 'zendesk',
      reason: `the last Zendesk request failed: ${last.endpoint} → ${last.status} at ${new Date(last.at).toISOString()}`,
    });
  }
  return { ready: notReady.length === 0, notReady };
}
