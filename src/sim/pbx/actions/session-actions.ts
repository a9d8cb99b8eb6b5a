import { timingSafeEqual } from 'node:crypto';
import { SYSTEM } from '../events.ts';
import { response } from '../responses.ts';
import type { ActionContext } from './types.ts';

/** Login, Logoff, Ping and Events: the session's own actions (manager.c). */

function secretMatches(expected: string | undefined, given: string): boolean {
  if (expected === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `Events:` / `EventMask:` values that switch events off; anything else (on, a class list) keeps them. */
function eventsWanted(value: string | undefined): boolean {
  if (value === undefined || value === '') return true;
  return !['off', 'no', 'false', '0'].includes(value.trim().toLowerCase());
}

export function login({ session, state, msg, actionId }: ActionContext): void {
  const username = msg.get('Username') ?? '';
  if (!secretMatches(state.users[username], msg.get('Secret') ?? '')) {
    session.rejectLogin(response('Error', actionId, 'Authentication failed'));
    return;
  }
  const eventsOn = eventsWanted(msg.get('Events'));
  session.authenticate(username, eventsOn);
  session.reply(response('Success', actionId, 'Authentication accepted'));
  if (eventsOn) {
    const uptime = String(Math.floor((state.now() - state.startedAt) / 1000));
    session.reply([
      ['Event', 'FullyBooted'],
      ['Privilege', SYSTEM],
      ['Uptime', uptime],
      ['LastReload', uptime],
      ['Status', 'Fully Booted'],
    ]);
  }
}

export function logoff({ session, actionId }: ActionContext): void {
  session.logoff(response('Goodbye', actionId, 'Thanks for all the fish.'));
}

export function ping({ session, state, actionId }: ActionContext): void {
  const now = state.now();
  const micros = String(Math.floor((now % 1000) * 1000)).padStart(6, '0');
  const reply = response('Success', actionId);
  reply.push(['Ping', 'Pong'], ['Timestamp', `${Math.floor(now / 1000)}.${micros}`]);
  session.reply(reply);
}

export function events({ session, msg, actionId }: ActionContext): void {
  const on = eventsWanted(msg.get('EventMask'));
  session.setEvents(on);
  const reply = response('Success', actionId);
  reply.push(['Events', on ? 'On' : 'Off']);
  session.reply(reply);
}
