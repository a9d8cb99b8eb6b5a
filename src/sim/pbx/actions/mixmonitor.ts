import { CALL, channelEvent } from '../events.ts';
import { response } from '../responses.ts';
import type { ActionContext } from './types.ts';

/**
 * MixMonitor / StopMixMonitor (app_mixmonitor): a bare Success with no recording id, then
 * MixMonitorStart / MixMonitorStop with the channel's snapshot only (no file, no ActionID).
 */

/** The channel the action names, or undefined after giving the error Asterisk gives. */
function targetChannel({ session, state, msg, actionId }: ActionContext) {
  const name = msg.get('Channel') ?? '';
  if (!name) {
    session.reply(response('Error', actionId, 'No channel specified'));
    return undefined;
  }
  const ch = state.channels.get(name);
  if (!ch) session.reply(response('Error', actionId, 'No such channel'));
  return ch;
}

export function mixMonitor({ session, state, msg, actionId }: ActionContext): void {
  const ch = targetChannel({ session, state, msg, actionId });
  if (!ch) return;
  const file = msg.get('File') ?? '';
  if (!file) {
    // mixmonitor_exec refuses an empty file name.
    session.reply(response('Error', actionId, 'Could not start monitoring channel'));
    return;
  }
  state.recordings.start(ch, file);
  session.reply(response('Success', actionId));
  state.emit(channelEvent('MixMonitorStart', CALL, ch));
}

export function stopMixMonitor({ session, state, msg, actionId }: ActionContext): void {
  const ch = targetChannel({ session, state, msg, actionId });
  if (!ch) return;
  if (state.recordings.stop(ch) === undefined) {
    session.reply(response('Error', actionId, 'Could not stop monitoring channel'));
    return;
  }
  session.reply(response('Success', actionId));
  state.emit(channelEvent('MixMonitorStop', CALL, ch));
}
