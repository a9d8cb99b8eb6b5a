import type { AmiMessage, AmiPair } from '../../../pbx/ami-codec.ts';
import type { PbxState } from '../pbx-state.ts';

/** What an action handler may do to the session that sent the action. */
export interface SessionControl {
  readonly id: number;
  readonly authenticated: boolean;
  reply(message: AmiPair[]): void;
  authenticate(username: string, eventsOn: boolean): void;
  /** Replies after the failed-login delay, then closes the socket, as Asterisk does. */
  rejectLogin(message: AmiPair[]): void;
  /** Replies, then closes the socket. */
  logoff(message: AmiPair[]): void;
  setEvents(on: boolean): void;
}

export interface ActionContext {
  session: SessionControl;
  state: PbxState;
  msg: AmiMessage;
  /** Empty ActionID counts as none: the reply then has no ActionID line. */
  actionId: string | undefined;
}

export type ActionHandler = (ctx: ActionContext) => void;
