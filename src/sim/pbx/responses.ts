import type { AmiPair } from '../../pbx/ami-codec.ts';

/**
 * Response shapes of manager.c: ActionID goes right after `Response` when the action had one,
 * and is simply absent otherwise.
 */

export function response(
  status: 'Success' | 'Error' | 'Goodbye',
  actionId?: string,
  message?: string,
): AmiPair[] {
  const out: AmiPair[] = [['Response', status]];
  if (actionId) out.push(['ActionID', actionId]);
  if (message !== undefined) out.push(['Message', message]);
  return out;
}

/** astman_send_listack: the Success that opens an EventList. */
export function listAck(actionId: string | undefined, message: string): AmiPair[] {
  const out: AmiPair[] = [['Response', 'Success']];
  if (actionId) out.push(['ActionID', actionId]);
  out.push(['EventList', 'start'], ['Message', message]);
  return out;
}

/** astman_send_list_complete_start: `…Complete` with ActionID second, then the item count. */
export function listComplete(event: string, actionId: string | undefined, items: number): AmiPair[] {
  const out: AmiPair[] = [['Event', event]];
  if (actionId) out.push(['ActionID', actionId]);
  out.push(['EventList', 'Complete'], ['ListItems', String(items)]);
  return out;
}

/** Appends the ActionID as the last field (QueueParams, QueueMember, QueueEntry, QueueSummary, Status). */
export function withTrailingActionId(pairs: AmiPair[], actionId: string | undefined): AmiPair[] {
  if (actionId) pairs.push(['ActionID', actionId]);
  return pairs;
}
