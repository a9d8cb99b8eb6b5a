import type { Socket } from 'node:net';
import type { Logger } from '../../log/logger.ts';
import {
  AMI_BANNER,
  type AmiMessage,
  type AmiPair,
  AmiParser,
  encodeAmiMessage,
} from '../../pbx/ami-codec.ts';
import { ALLOWED_BEFORE_LOGIN } from './actions/registry.ts';
import type { ActionHandler, SessionControl } from './actions/types.ts';
import type { PbxState } from './pbx-state.ts';
import { response } from './responses.ts';
import { type SplitWrites, WritePath } from './write-path.ts';

/** One action as the fake PBX received it, for tests to inspect. */
export interface RecordedAction {
  sessionId: number;
  action: string;
  fields: Record<string, string | string[]>;
  at: number;
}

export interface SessionOptions {
  id: number;
  socket: Socket;
  state: PbxState;
  actions: ReadonlyMap<string, ActionHandler>;
  loginFailureDelayMs: number;
  /** An unauthenticated session is closed after this long (manager.conf authtimeout). */
  authTimeoutMs: number;
  splitWrites: SplitWrites | false;
  logger: Logger;
  onAction: (action: RecordedAction) => void;
  onClose: (session: AmiSession) => void;
}

/** One AMI connection: banner, login state, action dispatch, the write path. */
export class AmiSession implements SessionControl {
  readonly id: number;
  username: string | undefined;
  authenticated = false;
  eventsOn = true;
  readonly #o: SessionOptions;
  readonly #out: WritePath;
  readonly #parser: AmiParser;
  /** After Logoff or a failed login nothing more is read or sent. */
  #closing = false;
  #timers = new Set<NodeJS.Timeout>();

  constructor(o: SessionOptions) {
    this.id = o.id;
    this.#o = o;
    this.#out = new WritePath(o.socket, o.splitWrites);
    this.#parser = new AmiParser({
      onProblem: (p) =>
        o.logger.debug('unparsable input from AMI client', { session: o.id, problem: p.kind }),
    });
    o.socket.on('data', (chunk: Buffer) => {
      for (const msg of this.#parser.feed(chunk)) this.#dispatch(msg);
    });
    o.socket.on('error', (err) =>
      o.logger.debug('AMI client socket error', { session: o.id, error: err.message }),
    );
    o.socket.on('close', () => {
      for (const t of this.#timers) clearTimeout(t);
      this.#timers.clear();
      o.onClose(this);
    });
    this.#out.write(`${AMI_BANNER}\r\n`);
    this.#later(o.authTimeoutMs, () => {
      if (!this.authenticated) this.drop();
    }).unref();
  }

  get remotePort(): number | undefined {
    return this.#o.socket.remotePort;
  }

  reply(message: AmiPair[]): void {
    if (!this.#closing) this.#out.write(encodeAmiMessage(message));
  }

  /** An event already encoded once for every session. */
  deliverEvent(text: string): void {
    if (this.authenticated && this.eventsOn && !this.#closing) this.#out.write(text);
  }

  authenticate(username: string, eventsOn: boolean): void {
    this.authenticated = true;
    this.username = username;
    this.eventsOn = eventsOn;
  }

  rejectLogin(message: AmiPair[]): void {
    this.#closing = true;
    this.#later(this.#o.loginFailureDelayMs, () => {
      this.#out.write(encodeAmiMessage(message));
      this.#out.end();
    });
  }

  logoff(message: AmiPair[]): void {
    this.#out.write(encodeAmiMessage(message));
    this.#closing = true;
    this.#out.end();
  }

  setEvents(on: boolean): void {
    this.eventsOn = on;
  }

  /** Cuts the connection without a goodbye, like a network failure. */
  drop(): void {
    this.#closing = true;
    this.#out.destroy();
  }

  #later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
    return t;
  }

  #dispatch(msg: AmiMessage): void {
    if (this.#closing) return;
    const action = msg.get('Action') ?? '';
    const actionId = msg.get('ActionID') || undefined;
    const { state, actions } = this.#o;
    this.#o.onAction({ sessionId: this.id, action, fields: msg.toObject(), at: state.now() });
    if (!action) {
      this.reply(response('Error', actionId, 'Missing action in request'));
      return;
    }
    const name = action.toLowerCase();
    if (!this.authenticated && !ALLOWED_BEFORE_LOGIN.has(name)) {
      this.reply(response('Error', actionId, 'Permission denied'));
      return;
    }
    const handler = actions.get(name);
    if (!handler) {
      this.reply(
        response(
          'Error',
          actionId,
          `Invalid/unknown command: ${action}. Use Action: ListCommands to show available commands.`,
        ),
      );
      return;
    }
    try {
      handler({ session: this, state, msg, actionId });
    } catch (err) {
      this.#o.logger.error('fake PBX action failed', { action, error: String(err) });
      this.reply(response('Error', actionId, 'Internal error'));
    }
  }
}
