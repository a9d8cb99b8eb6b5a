import { type CallContext, createCallContext } from './call-context.ts';
import { type CallSpec, planCall } from './call-script.ts';
import type { PbxState } from './pbx-state.ts';
import { abandon } from './phases/abandon.ts';
import { answer } from './phases/answer.ts';
import { arrive, joinQueue } from './phases/arrival.ts';
import { agentHangsUp, callerHangsUp } from './phases/hangup.ts';
import { ringMember, ringNoAnswer } from './phases/ring.ts';
import type { TimerSet } from './timers.ts';

/**
 * A scripted queue call turned into timed phases: arrival, queue join, ring attempts (each
 * answered or not), then talk and hangup, or the caller abandoning. Each phase's events go out
 * together, so concurrent calls interleave between phases like Asterisk's do.
 */

export interface CallResult {
  outcome: 'answered' | 'abandoned' | 'cancelled';
  /** MemberName of the agent who answered. */
  agent?: string;
}

export interface SimCall {
  /** Linkedid of every event of the call (the customer leg's Uniqueid). */
  readonly linkedid: string;
  /** The queue caller (`…;2`): AgentConnect's Channel, the one to MixMonitor. */
  readonly callerChannel: string;
  /** The customer side (`…;1`). */
  readonly customerChannel: string;
  readonly queue: string;
  /** The answering member's queue leg (AgentConnect DestChannel), once answered. */
  readonly agentChannel: string | undefined;
  /** Resolves after the call's last event was sent and its recordings were closed. */
  readonly done: Promise<CallResult>;
}

export interface RunningCall extends SimCall {
  /** Stops the call where it is (PBX shutting down); `done` resolves as cancelled. */
  cancel(): void;
}

export function startCall(state: PbxState, spec: CallSpec, timers: TimerSet): RunningCall {
  const plan = planCall(spec, state.queues);
  const ctx: CallContext = createCallContext(state, plan);
  let finished = false;
  let agentChannel: string | undefined;
  let ringTimer: NodeJS.Timeout | undefined;
  let abandonTimer: NodeJS.Timeout | undefined;
  let resolveDone!: (r: CallResult) => void;
  const done = new Promise<CallResult>((resolve) => {
    resolveDone = resolve;
  });

  const finish = (result: CallResult) => {
    if (finished) return;
    finished = true;
    timers.clear(ringTimer);
    timers.clear(abandonTimer);
    void Promise.all(ctx.recordingsClosing).then(() => resolveDone(result));
  };

  const guarded = (fn: () => void) => () => {
    if (finished) return;
    try {
      fn();
    } catch (err) {
      state.logger.error('fake PBX call script failed', { linkedid: ctx.cust.linkedid, error: String(err) });
      finish({ outcome: 'cancelled' });
    }
  };

  const ring = (index: number) => {
    const step = plan.rings[index];
    if (!step) return; // nobody left to ring: the caller waits for its abandon timer
    ringMember(ctx, step);
    ringTimer = timers.after(
      step.ms,
      guarded(() => {
        if (step.outcome === 'answer') {
          timers.clear(abandonTimer);
          answer(ctx);
          agentChannel = ctx.agent?.one.name;
          ringTimer = timers.after(
            plan.talkMs,
            guarded(() => {
              if (plan.hangup === 'agent') agentHangsUp(ctx);
              else callerHangsUp(ctx);
              finish({ outcome: 'answered', agent: step.member.config.name });
            }),
          );
        } else {
          ringNoAnswer(ctx);
          ringTimer = timers.after(
            plan.retryMs,
            guarded(() => ring(index + 1)),
          );
        }
      }),
    );
  };

  guarded(() => arrive(ctx))();
  timers.after(
    plan.joinMs,
    guarded(() => {
      joinQueue(ctx);
      if (plan.abandonAfterMs !== undefined) {
        abandonTimer = timers.after(
          plan.abandonAfterMs,
          guarded(() => {
            timers.clear(ringTimer);
            abandon(ctx);
            finish({ outcome: 'abandoned' });
          }),
        );
      }
      ring(0);
    }),
  );

  return {
    linkedid: ctx.cust.linkedid,
    callerChannel: ctx.caller.name,
    customerChannel: ctx.cust.name,
    queue: plan.queue.name,
    get agentChannel() {
      return agentChannel;
    },
    done,
    cancel: () => finish({ outcome: 'cancelled' }),
  };
}
