import { createConnection, type Socket } from 'node:net';
import { AmiMessage, AmiParser, type AmiProblem, type AmiRecord, encodeAmiMessage } from './ami-codec.ts';
import { AmiError } from './ami-errors.ts';

export interface AmiListResult {
  response: AmiMessage;
  items: AmiMessage[];
  complete: AmiMessage | undefined;
}

interface Pending {
  list: boolean;
  response: AmiMessage | undefined;
  items: AmiMessage[];
  resolve(value: AmiListResult): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface AmiConnectionOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  onEvent: (event: AmiMessage) => void;
  onProblem: (problem: AmiProblem) => void;
  /**
   * Events whose work must not wait for the rest of the read they came in: after one, the rest
   * waits for a turn of the event loop (setImmediate), so the promise chain the event started
   * (the answer's pop request) reaches its socket first. Order is kept: later reads queue behind.
   */
  yieldAfter?: (event: AmiMessage) => boolean;
}

/**
 * One TCP connection to AMI: actions correlated by ActionID with timeouts, EventList entries
 * collected up to their Complete event, everything else handed out as events. When the socket
 * closes, every action in flight fails at once — nothing waits forever on a dead link.
 */
export class AmiConnection {
  readonly #options: AmiConnectionOptions;
  readonly #pending = new Map<string, Pending>();
  readonly #parser: AmiParser;
  #socket: Socket | undefined;
  #nextId = 1;
  #closedError: AmiError | undefined;
  /** Messages read but not dispatched yet (after a yieldAfter event), and their turn. */
  #held: AmiMessage[] | undefined;
  #resume: NodeJS.Immediate | undefined;
  readonly closed: Promise<AmiError>;
  #markClosed!: (error: AmiError) => void;

  constructor(options: AmiConnectionOptions) {
    this.#options = options;
    this.#parser = new AmiParser({ onProblem: options.onProblem });
    this.closed = new Promise((resolve) => {
      this.#markClosed = resolve;
    });
  }

  /** Resolves with the banner once connected; rejects as `unreachable` otherwise. */
  open(): Promise<string> {
    return new Promise((resolve, reject) => {
      const { host, port, connectTimeoutMs } = this.#options;
      const socket = createConnection({ host, port });
      this.#socket = socket;
      socket.setNoDelay(true);
      const timer = setTimeout(
        () => socket.destroy(new Error(`no banner within ${connectTimeoutMs} ms`)),
        connectTimeoutMs,
      );
      const fail = (error: Error) => {
        clearTimeout(timer);
        const code = (error as NodeJS.ErrnoException).code;
        reject(
          new AmiError('unreachable', `cannot reach AMI at ${host}:${port} (${code ?? error.message})`, {
            cause: error,
          }),
        );
      };
      socket.once('error', fail);
      socket.on('data', (chunk: Buffer) => {
        const messages = this.#parser.feed(chunk);
        if (this.#parser.banner !== undefined && timer) {
          clearTimeout(timer);
          socket.off('error', fail);
          resolve(this.#parser.banner);
        }
        if (this.#held) {
          for (const message of messages) this.#held.push(message);
          return;
        }
        this.#dispatchAll(messages);
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearTimeout(timer);
        // What was read before the close still counts (a list's Complete, a last AgentComplete).
        this.#flushHeld();
        this.#close(
          this.#closedError ?? new AmiError('link-lost', `AMI connection to ${host}:${port} closed`),
        );
        fail(new Error('closed before the banner'));
      });
    });
  }

  /** Sends an action and resolves with its response (or, for lists, response + entries). */
  send(fields: AmiRecord, options: { timeoutMs: number; list?: boolean }): Promise<AmiListResult> {
    if (this.#closedError || !this.#socket || this.#socket.destroyed) {
      return Promise.reject(this.#closedError ?? new AmiError('not-connected', 'AMI is not connected'));
    }
    const actionId = `cti-${this.#nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(actionId);
        reject(
          new AmiError(
            'timeout',
            `AMI action ${String(fields.Action)} got no answer within ${options.timeoutMs} ms`,
          ),
        );
      }, options.timeoutMs);
      this.#pending.set(actionId, {
        list: options.list ?? false,
        response: undefined,
        items: [],
        resolve,
        reject,
        timer,
      });
      this.#socket!.write(encodeAmiMessage({ ...fields, ActionID: actionId }));
    });
  }

  /** Closes the socket; pending actions fail with `reason`. */
  destroy(reason: AmiError): void {
    this.#flushHeld();
    this.#closedError ??= reason;
    this.#socket?.destroy();
    this.#close(reason);
  }

  /** Dispatches messages in order, holding the rest back after a yieldAfter event. */
  #dispatchAll(messages: AmiMessage[]): void {
    const yieldAfter = this.#options.yieldAfter;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      this.#dispatch(message);
      if (yieldAfter && i + 1 < messages.length && message.kind === 'event' && yieldAfter(message)) {
        this.#held = messages.slice(i + 1);
        this.#resume = setImmediate(() => this.#dispatchAll(this.#takeHeld()));
        return;
      }
    }
  }

  #takeHeld(): AmiMessage[] {
    clearImmediate(this.#resume);
    this.#resume = undefined;
    const held = this.#held ?? [];
    this.#held = undefined;
    return held;
  }

  /** Closing: every message held back goes now, without yielding. */
  #flushHeld(): void {
    for (const message of this.#takeHeld()) this.#dispatch(message);
  }

  #dispatch(message: AmiMessage): void {
    // Most events carry no ActionID; looking for one scans every field, so only do it while an
    // action is waiting (this runs for every event of a busy PBX).
    const kind = message.kind;
    const actionId =
      kind === 'response' || (kind === 'event' && this.#pending.size > 0)
        ? message.get('ActionID')
        : undefined;
    const pending = actionId === undefined ? undefined : this.#pending.get(actionId);
    if (!pending) {
      if (message.kind === 'event') this.#options.onEvent(message);
      return;
    }
    if (message.kind === 'response') {
      pending.response = message;
      const startsList = message.get('EventList')?.toLowerCase() === 'start';
      if (pending.list && startsList) return;
      this.#settle(actionId!, pending, undefined);
      return;
    }
    // An event carrying our ActionID belongs to a list we asked for.
    if (message.get('EventList')?.toLowerCase() === 'complete') {
      this.#settle(actionId!, pending, message);
    } else {
      pending.items.push(message);
    }
  }

  #settle(actionId: string, pending: Pending, complete: AmiMessage | undefined): void {
    clearTimeout(pending.timer);
    this.#pending.delete(actionId);
    pending.resolve({ response: pending.response!, items: pending.items, complete });
  }

  #close(reason: AmiError): void {
    this.#closedError ??= reason;
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(this.#closedError);
    }
    this.#markClosed(this.#closedError);
  }
}

export { AmiMessage };
