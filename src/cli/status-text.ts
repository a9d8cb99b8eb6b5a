import type { StatusReport } from '../ops/status-report.ts';

const LABEL_WIDTH = 11;

/** `cti-bridge status` on a terminal: one section per part, what needs attention first. */
export function renderStatus(report: StatusReport): string {
  const lines: string[] = [];
  const d = report.daemon;
  lines.push(
    `cti-bridge ${d.version}, pid ${d.pid}, up ${duration(d.uptimeSeconds)} (since ${time(d.startedAt)})`,
  );
  lines.push(
    report.profile
      ? `profile ${report.profile.name} (${report.profile.file})`
      : `no profile running: the daemon is ${d.state}`,
  );
  lines.push(
    report.readiness.ready
      ? 'READY: calls get their tickets'
      : `NOT READY: ${report.readiness.notReady.map((n) => `${n.check}: ${n.reason}`).join('; ')}`,
  );
  lines.push('');
  if (report.ami) {
    const a = report.ami;
    row(
      lines,
      'AMI',
      `${a.state} (${a.address}), ${plural(a.reconnects, 'reconnect')} since the profile started`,
    );
  }
  if (report.zendesk) zendesk(lines, report.zendesk);
  if (report.calls) {
    const c = report.calls;
    row(lines, 'Calls', `${c.queued} queued, ${c.talking} talking, ${c.wrappingUp} in wrap-up`);
  }
  if (report.cache) {
    const c = report.cache;
    row(lines, 'Cache', c.entries === undefined ? c.store : `${c.store}, ${plural(c.entries, 'number')}`);
  }
  if (report.pending) {
    const p = report.pending;
    const parts = [plural(p.tickets, 'ticket'), plural(p.wrapUps, 'wrap-up')];
    if (p.recordingsToCopy !== undefined) parts.push(`${plural(p.recordingsToCopy, 'recording')} to copy`);
    row(lines, 'Pending', parts.join(', '));
  }
  if (report.sync) sync(lines, report.sync);
  if (report.recordings) recordings(lines, report.recordings);
  lines.push('');
  errors(lines, report.recentErrors);
  return `${lines.join('\n')}\n`;
}

function zendesk(lines: string[], z: NonNullable<StatusReport['zendesk']>): void {
  const last = z.last ? `; last request ${z.last.endpoint} → ${z.last.status} at ${time(z.last.at)}` : '';
  const auth =
    z.auth === 'rejected'
      ? '; OAuth tokens REJECTED: give new ones (docs/zendesk-auth.md)'
      : z.auth === 'refreshing'
        ? '; refreshing the OAuth token'
        : '';
  row(lines, 'Zendesk', `${z.state} (${z.url})${auth}${last}`);
  const budget =
    z.rate.remaining === undefined
      ? 'rate budget not known yet (no answer with X-Rate-Limit-Remaining)'
      : `rate budget ${z.rate.remaining}${z.rate.limit === undefined ? '' : ` of ${z.rate.limit}`} requests left this minute`;
  const held = z.rate.blockedForMs > 0 ? `; held ${Math.ceil(z.rate.blockedForMs / 1000)} s after a 429` : '';
  row(lines, '', `${budget}${held}`);
  const waiting = Object.entries(z.lanes)
    .filter(([, lane]) => lane.waiting + lane.running > 0)
    .map(([name, lane]) => `${name} ${lane.running} running/${lane.waiting} waiting`);
  if (waiting.length > 0) row(lines, '', `requests: ${waiting.join(', ')}`);
  // While the last request failed, it is the last failure too (ZendeskHealth): said once above.
  if (z.lastFailure && z.last?.ok) {
    const f = z.lastFailure;
    row(lines, '', `last failure: ${f.endpoint} → ${f.status} at ${time(f.at)}`);
  }
}

function sync(lines: string[], s: NonNullable<StatusReport['sync']>): void {
  if (s.state === 'never') {
    row(lines, 'Sync', 'not finished yet; calls wait for it');
    return;
  }
  const matched = s.matched
    ? `: ${plural(s.matched.agents, 'agent')}, ${plural(s.matched.groups, 'group')} matched`
    : '';
  row(
    lines,
    'Sync',
    s.state === 'ok'
      ? `ok at ${time(s.at)}${matched}`
      : `FAILED at ${time(s.at)}: ${s.error ?? 'unknown error'}`,
  );
  const u = s.unmatched;
  if (!u) return;
  if (u.users.length > 0) row(lines, '', `PBX users with no Zendesk agent: ${u.users.join(', ')}`);
  if (u.withoutEmail.length > 0) row(lines, '', `PBX users without an email: ${u.withoutEmail.join(', ')}`);
  if (u.queues.length > 0) row(lines, '', `queues with no Zendesk group: ${u.queues.join(', ')}`);
  if (u.missingOnPbx.length > 0) row(lines, '', `queues the PBX does not have: ${u.missingOnPbx.join(', ')}`);
}

function recordings(lines: string[], r: NonNullable<StatusReport['recordings']>): void {
  row(
    lines,
    'Recordings',
    Object.entries(r.states)
      .map(([state, n]) => `${state} ${n}`)
      .join(', '),
  );
  const run = r.lastCopy;
  if (!run) {
    row(lines, 'Share', 'no copy run yet');
    return;
  }
  const counts = `${run.copied} copied, ${run.failed} failed, ${run.expired} expired`;
  const message = run.message ? ` (${run.message})` : '';
  row(
    lines,
    'Share',
    `last copy ${run.outcome} at ${time(run.finishedAt ?? run.startedAt)} (${run.origin}): ${counts}${message}`,
  );
}

function errors(lines: string[], recent: StatusReport['recentErrors']): void {
  if (recent.length === 0) {
    lines.push('Recent errors: none');
    return;
  }
  lines.push(`Recent errors and warnings (${recent.length}, oldest first):`);
  for (const e of recent) {
    const detail = e.detail ? `  ${e.detail}` : '';
    lines.push(`  ${time(e.time)} ${e.level.toUpperCase().padEnd(5)} [${e.module}] ${e.message}${detail}`);
  }
}

function row(lines: string[], label: string, text: string): void {
  lines.push(`${label.padEnd(LABEL_WIDTH)}${text}`);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** ISO time without milliseconds: `2026-11-22 04:33:10Z`. */
function time(iso: string | undefined): string {
  return iso === undefined ? '?' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days ${hours % 24} h`;
}
