import type { Logger } from '../log/logger.ts';
import type { CallerLookup, LookupResult } from './caller-lookup.ts';
import type { CallerNumber } from './caller-number.ts';
import type { Directory, HelpdeskPort } from './ports.ts';

export type UnknownCallerStrategy = 'defaultUser' | 'newUser';

/** Who the ticket is for, and whether the backfill may later move the number to someone else. */
export interface Requester {
  userId: number;
  origin: 'caller' | 'default user' | 'new user';
}

export interface RequesterDeps {
  helpdesk: HelpdeskPort;
  lookup: CallerLookup;
  directory: Directory;
  strategy: UnknownCallerStrategy;
  answerWaitMs: number;
  logger: Logger;
}

/**
 * The requester at answer time. A lookup still running is awaited up to the wait bound, so a fast
 * agent does not turn a known caller into an unknown one (the STARFACE FAQ's second problem).
 */
export async function resolveRequester(
  deps: RequesterDeps,
  call: { callId: string; caller: CallerNumber; lookup: Promise<LookupResult> | undefined },
): Promise<Requester> {
  const log = deps.logger.child('calls').with({ callId: call.callId });
  // A new user only for a number nobody has: for a shared number (ambiguous) or a failed search
  // it could be a third user on a number, or a duplicate of one Zendesk could not tell us about.
  let mayCreate = call.caller.kind === 'number';
  if (call.caller.kind === 'number') {
    const pending = call.lookup ?? deps.lookup.lookup(call.caller.e164, call.callId);
    const result = await within(pending, deps.answerWaitMs);
    if (result === 'timeout') {
      log.warn('caller lookup still running at answer; caller treated as unknown', {
        waitedMs: deps.answerWaitMs,
      });
    } else if (result.kind === 'known') {
      return { userId: result.userId, origin: 'caller' };
    } else {
      mayCreate = result.reason === 'not found';
    }
  }
  if (deps.strategy === 'newUser' && mayCreate && call.caller.kind === 'number') {
    const e164 = call.caller.e164;
    const user = await deps.helpdesk.createEndUser({ name: `Caller ${e164}`, phone: e164 });
    // Zendesk search lags by minutes: the next call from this number must find the user anyway.
    await deps.lookup.remember(e164, user);
    log.info('new Zendesk user created for the caller', { userId: user.id });
    return { userId: user.id, origin: 'new user' };
  }
  const defaultUserId = deps.directory.defaultUserId();
  if (defaultUserId === undefined) {
    throw new Error('no default user is known yet (the start-up sync has not found or created it)');
  }
  return { userId: defaultUserId, origin: 'default user' };
}

async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
