import { connect, type Socket } from 'node:net';
import {
  type AmiMessage,
  type AmiPair,
  AmiParser,
  type AmiRecord,
  encodeAmiMessage,
} from '../../../src/pbx/ami-codec.ts';

/** A bare AMI client over a real socket for the fake PBX tests: collects everything it reads. */
export class AmiTestClient {
  readonly socket: Socket;
  readonly parser = new AmiParser();
  readonly messages: AmiMessage[] = [];
  /** Socket reads, to check split writes arrive split. */
  reads = 0;
  closed: Promise<void>;
  #waiters = new Set<() => void>();
  #nextId = 1;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.reads++;
      for (const m of this.parser.feed(chunk)) this.messages.push(m);
      for (const w of this.#waiters) w();
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closed.then(() => {
      for (const w of this.#waiters) w();
    });
  }

  static async connect(port: number): Promise<AmiTestClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new AmiTestClient(socket);
    await client.waitFor(() => client.parser.banner !== undefined, 'banner');
    return client;
  }

  /** Connects and logs in as the lab's `bridge` user. */
  static async loggedIn(port: number, extra: AmiRecord = {}): Promise<AmiTestClient> {
    const client = await AmiTestClient.connect(port);
    const reply = await client.action({
      Action: 'Login',
      Username: 'bridge',
      Secret: 'bridge-secret',
      ...extra,
    });
    if (reply.get('Response') !== 'Success') throw new Error(`login failed: ${reply.get('Message')}`);
    return client;
  }

  send(message: AmiRecord | AmiPair[]): void {
    this.socket.write(encodeAmiMessage(message));
  }

  /** Sends an action with a fresh ActionID unless it has one; resolves with its response. */
  async action(message: AmiRecord, timeoutMs = 2000): Promise<AmiMessage> {
    const actionId = String(message.ActionID ?? `t-${this.#nextId++}`);
    const from = this.messages.length;
    this.send({ ...message, ActionID: actionId });
    return this.waitFor(
      () => this.messages.slice(from).find((m) => m.kind === 'response' && m.get('ActionID') === actionId),
      `response to ${String(message.Action)}`,
      timeoutMs,
    );
  }

  /** An EventList action: its response, list entries and the Complete event. */
  async listAction(
    message: AmiRecord,
  ): Promise<{ response: AmiMessage; items: AmiMessage[]; complete: AmiMessage }> {
    const actionId = String(message.ActionID ?? `t-${this.#nextId++}`);
    const from = this.messages.length;
    const response = await this.action({ ...message, ActionID: actionId });
    const complete = await this.waitFor(
      () =>
        this.messages
          .slice(from)
          .find((m) => m.get('ActionID') === actionId && m.get('EventList')?.toLowerCase() === 'complete'),
      `end of ${String(message.Action)} list`,
    );
    const items = this.messages
      .slice(from)
      .filter((m) => m.kind === 'event' && m.get('ActionID') === actionId && m !== complete);
    return { response, items, complete };
  }

  events(name?: string): AmiMessage[] {
    return this.messages.filter((m) => m.kind === 'event' && (name === undefined || m.name === name));
  }

  /** Resolves with the predicate's first truthy result; rejects after the timeout. */
  waitFor<T>(predicate: () => T | undefined | false, what: string, timeoutMs = 3000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const v = predicate();
        if (v !== undefined && v !== false) {
          clearTimeout(timer);
          this.#waiters.delete(check);
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  waitForEvent(name: string, match: (m: AmiMessage) => boolean = () => true, timeoutMs = 3000) {
    return this.waitFor(() => this.events(name).find(match), `event ${name}`, timeoutMs);
  }

  async close(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }
}
