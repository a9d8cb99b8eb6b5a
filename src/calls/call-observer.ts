/**
 * What the call domain tells whoever watches it (the daemon's metrics). Outcomes:
 * - `ticket`: the call's ticket exists (created, or found after a restart), once per call;
 * - `failed`: the first try at the ticket failed, so nothing popped at pickup (the handler and
 *   the journal keep trying: the same call counts as `ticket` once a later try succeeds);
 * - `abandoned`: the caller hung up in the queue;
 * - `ignored`: a call queued in a queue this profile does not handle.
 */
export type CallOutcome = 'ticket' | 'failed' | 'abandoned' | 'ignored';

export interface CallObserver {
  outcome(outcome: CallOutcome): void;
  /** AgentConnect received → ticket opened on the agent's screen, for pops at pickup. */
  popped(ms: number): void;
}
