import { response } from '../responses.ts';
import type { ActionContext } from './types.ts';
import { readVariable } from './variables.ts';

/** Getvar (manager.c action_getvar): `Variable`/`Value` after the Success, no Message. */
export function getvar({ session, state, msg, actionId }: ActionContext): void {
  const variable = msg.get('Variable') ?? '';
  if (!variable) {
    session.reply(response('Error', actionId, 'No variable specified'));
    return;
  }
  const name = msg.get('Channel') ?? '';
  let value = '';
  if (name) {
    const ch = state.channels.get(name);
    if (!ch) {
      session.reply(response('Error', actionId, 'No such channel'));
      return;
    }
    value = readVariable(ch, variable);
  }
  const reply = response('Success', actionId);
  reply.push(['Variable', variable], ['Value', value]);
  session.reply(reply);
}
