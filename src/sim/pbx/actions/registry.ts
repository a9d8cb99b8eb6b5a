import { coreShowChannels, status } from './channels.ts';
import { getvar } from './getvar.ts';
import { mixMonitor, stopMixMonitor } from './mixmonitor.ts';
import { queueStatus, queueSummary } from './queues.ts';
import { events, login, logoff, ping } from './session-actions.ts';
import type { ActionHandler } from './types.ts';
import { voicemailUsersList } from './voicemail.ts';

/** The actions the fake PBX answers, by lower-case name (AMI action names are case-insensitive). */
export function defaultActions(): ReadonlyMap<string, ActionHandler> {
  return new Map<string, ActionHandler>([
    ['login', login],
    ['logoff', logoff],
    ['ping', ping],
    ['events', events],
    ['voicemailuserslist', voicemailUsersList],
    ['queuestatus', queueStatus],
    ['queuesummary', queueSummary],
    ['coreshowchannels', coreShowChannels],
    ['status', status],
    ['getvar', getvar],
    ['mixmonitor', mixMonitor],
    ['stopmixmonitor', stopMixMonitor],
  ]);
}

/** Actions an unauthenticated session may send (manager.c process_message). */
export const ALLOWED_BEFORE_LOGIN: ReadonlySet<string> = new Set(['login', 'logoff', 'challenge']);
