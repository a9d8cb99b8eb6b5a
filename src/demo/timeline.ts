import { Writable } from 'node:stream';

export interface TimelineNames {
  /** Zendesk user id → name, for "opened on Anna Agent's screen". */
  userName(id: number): string | undefined;
}

/**
 * Turns the daemon's own JSON log lines into the demo's readable timeline: what happened to each
 * call, in order, as an operator would tell it. Lines that are not about calls are left out.
 */
export function timelineStream(out: NodeJS.WritableStream, names: TimelineNames, started: number): Writable {
  let pending = '';
  return new Writable({
    write(chunk, _encoding, done) {
      pending += String(chunk);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line) continue;
        const text = describe(JSON.parse(line) as Record<string, unknown>, names);
        if (text) out.write(`${clock(started)}  ${text}\n`);
      }
      done();
    },
  });
}

function describe(r: Record<string, unknown>, names: TimelineNames): string | undefined {
  const call = r.callId ? `call ${String(r.callId).padEnd(14)}` : '';
  const msg = String(r.msg);
  switch (msg) {
    case 'call queued; looking the caller up':
      return `${call} queued in ${r.queue}, caller ${r.caller}`;
    case 'caller looked up': {
      const source = r.cached ? 'from the cache' : 'Zendesk search';
      return r.known
        ? `${call} ${source}: the caller is ${names.userName(Number(r.userId)) ?? r.userId}`
        : `${call} ${source}: ${r.reason === 'ambiguous' ? 'several users share this number' : 'nobody has this number'}`;
    }
    case 'call queued; no number to look up':
      return `${call} queued in ${r.queue}, caller ${r.caller === 'withheld' ? 'withheld the number' : 'has no caller ID'}`;
    case "ticket created and opened on the agent's screen":
    case 'ticket created': {
      const who = names.userName(Number(r.requesterId));
      const popped = msg === 'ticket created' ? ', not popped' : `, opened on ${r.agent}'s screen`;
      return `${call} answered by ${r.agent}: ticket #${r.ticketId} for ${who ?? r.requester}${popped} (${r.msSinceAnswer} ms after pickup)`;
    }
    case 'caller abandoned in queue':
      return `${call} caller hung up after ${r.holdSec} s in queue: no ticket`;
    case "caller's number added to the customer the agent chose":
      return `${call} wrap-up: number added to ${names.userName(Number(r.userId)) ?? r.userId}, the requester the agent chose`;
    case 'sync finished; call handling on':
      return 'start-up sync done: agents and groups matched, default user found; handling calls';
    case 'recording started':
      return `${call} recording started (MixMonitor on ${r.channel})`;
    case 'recording attached to the ticket with the call facts':
      return `${call} recording attached to the ticket, on the call-facts comment`;
    case 'copy run finished':
      return `copy to the share ${r.outcome}: ${r.copied} copied, ${r.skipped} already there, ${r.failed} failed`;
    case 'no ticket for this call':
      return `${call} ERROR no ticket: ${JSON.stringify(r.err)}`;
    default:
      return r.level === 'warn' || r.level === 'error'
        ? `${String(r.level).toUpperCase()} ${msg}${details(r)}`
        : undefined;
  }
}

/** The fields of a warning, compactly: what an operator needs to act on it. */
function details(r: Record<string, unknown>): string {
  const { time: _t, level: _l, ns: _n, msg: _m, profile: _p, ...fields } = r;
  const text = Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return text ? ` (${text})` : '';
}

function clock(started: number): string {
  return `+${((Date.now() - started) / 1000).toFixed(2).padStart(6)} s`;
}
