import type { FakeZendesk } from '../sim/zendesk/index.ts';

/** The demo's closing figures, read off the fake Zendesk: what the agents saw, what it cost. */
export function summarise(zd: FakeZendesk, onShare: readonly string[] = []): string {
  const tickets = zd.state.tickets().filter((t) => String(t.external_id ?? '').startsWith('cti-bridge:'));
  const popsByAgent = new Map<string, number>();
  for (const pop of zd.pops) {
    const name = zd.state.user(pop.agentId)?.name ?? String(pop.agentId);
    popsByAgent.set(name, (popsByAgent.get(name) ?? 0) + 1);
  }
  // Only the bridge's own requests (the demo's "agent" edits tickets through the API too).
  const bridge = zd.requests.filter((r) => r.headers['user-agent'] === 'cti-bridge');
  const calls = bridge.filter((r) => !isSync(r.endpoint));
  const byEndpoint = new Map<string, number>();
  for (const r of calls) byEndpoint.set(r.endpoint, (byEndpoint.get(r.endpoint) ?? 0) + 1);
  const recordings = tickets.flatMap((t) =>
    zd.state.comments(t.id).flatMap((c) => c.attachment_ids.map((id) => zd.state.attachment(id))),
  );
  const lines = [
    'summary',
    `  tickets created      ${tickets.length} (one per answered call)`,
    `  recordings           ${recordings.filter((a) => a?.content_type === 'audio/wav').length} attached to their tickets; ${onShare.length} on the share${onShare.length ? `: ${onShare.join(', ')}` : ''}`,
    `  opened on screens    ${[...popsByAgent].map(([name, n]) => `${name} ${n}`).join(', ')}`,
    `  Zendesk requests     ${calls.length} for calls (${(calls.length / Math.max(1, tickets.length)).toFixed(2)} per answered call), plus ${bridge.length - calls.length} for the start-up sync`,
    ...[...byEndpoint]
      .sort((a, b) => b[1] - a[1])
      .map(([endpoint, n]) => `    ${String(n).padStart(4)}  ${endpoint}`),
  ];
  return lines.join('\n');
}

/** Requests of the start-up sync: agents, groups, the default user. */
function isSync(endpoint: string): boolean {
  return (
    endpoint === 'GET /api/v2/users' ||
    endpoint === 'GET /api/v2/groups' ||
    endpoint === 'GET /api/v2/users/search'
  );
}
