import { createServer, type Server, type Socket } from 'node:net';
import { type Logger, silentLogger } from '../../log/logger.ts';
import { type AmiPair, encodeAmiMessage } from '../../pbx/ami-codec.ts';
import { defaultActions } from './actions/registry.ts';
import { type RunningCall, type SimCall, startCall } from './call-model.ts';
import type { CallSpec } from './call-script.ts';
import type { SimChannel } from './channels.ts';
import { defaultLab, type Lab } from './lab.ts';
import { createPbxState, type PbxState } from './pbx-state.ts';
import { seededRandom } from './prng.ts';
import { AmiSession, type RecordedAction } from './session.ts';
import { TimerSet } from './timers.ts';
import type { SplitWrites } from './write-path.ts';

/**
 * A TCP server speaking AMI like the lab's Asterisk 22 (see docs/fake-pbx.md): for tests, the
 * demo and the benchmarks. Listens on 127.0.0.1 only.
 */

export interface FakePbxOptions {
  /** Only loopback is allowed. */
  host?: '127.0.0.1';
  /** 0 (default) picks a free port. */
  port?: number;
  /** Manager users and secrets; default the lab's (`bridge` / `bridge-secret`). */
  users?: Record<string, string>;
  lab?: Lab;
  /** Asterisk sleeps 1 s before answering a failed login, then closes the socket. */
  loginFailureDelayMs?: number;
  /** manager.conf authtimeout: unauthenticated sessions are closed after it (default 30 s). */
  authTimeoutMs?: number;
  /** Cut every outgoing message into random pieces written separately (seeded). */
  splitWrites?: SplitWrites | false;
  /** Seed for the choice among observed event orderings (default 1). */
  seed?: number;
  /** How often a MixMonitor file grows (default 100 ms). */
  recordingBlockMs?: number;
  logger?: Logger;
  now?: () => number;
}

export interface SessionInfo {
  readonly id: number;
  readonly username: string | undefined;
  readonly authenticated: boolean;
  readonly eventsOn: boolean;
  readonly remotePort: number | undefined;
  drop(): void;
}

export interface FakePbx {
  readonly host: string;
  readonly port: number;
  /** `ami://127.0.0.1:<port>`. */
  readonly url: string;
  readonly sessions: readonly SessionInfo[];
  /** Every action received, in order, with its fields (the newest 10 000). */
  readonly actionsReceived: readonly RecordedAction[];
  readonly lab: Lab;
  placeCall(spec: CallSpec): SimCall;
  /** The channels up now, as CoreShowChannels lists them. */
  channels(): readonly SimChannel[];
  /** Sends an arbitrary event to every logged-in session with events on. */
  emitEvent(event: AmiPair[]): void;
  /** Cuts every client connection at once, without a goodbye. */
  dropConnections(): void;
  /** Cancels calls, finishes recordings, closes connections and the server. */
  close(): Promise<void>;
}

const MAX_RECORDED_ACTIONS = 10_000;

export async function startFakePbx(options: FakePbxOptions = {}): Promise<FakePbx> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error('the fake PBX listens on 127.0.0.1 only');
  const logger = (options.logger ?? silentLogger()).child('sim');
  const lab = options.lab ?? defaultLab();
  const sessions = new Set<AmiSession>();
  const sockets = new Set<Socket>();
  const actionsReceived: RecordedAction[] = [];
  const calls = new Set<RunningCall>();
  const timers = new TimerSet();
  const actions = defaultActions();
  const split = options.splitWrites ?? false;
  let nextSessionId = 1;

  const state: PbxState = createPbxState({
    lab,
    users: options.users ?? lab.managerUsers,
    now: options.now ?? Date.now,
    random: seededRandom(options.seed ?? 1),
    logger,
    recordingBlockMs: options.recordingBlockMs ?? 100,
    emit: (event) => {
      // Encoded once, whatever the number of sessions.
      const text = encodeAmiMessage(event);
      for (const s of sessions) s.deliverEvent(text);
    },
  });

  const server: Server = createServer((socket) => {
    const id = nextSessionId++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const session = new AmiSession({
      id,
      socket,
      state,
      actions,
      loginFailureDelayMs: options.loginFailureDelayMs ?? 1000,
      authTimeoutMs: options.authTimeoutMs ?? 30_000,
      splitWrites: split ? { ...split, seed: split.seed + id } : false,
      logger,
      onAction: (a) => {
        actionsReceived.push(a);
        if (actionsReceived.length > MAX_RECORDED_ACTIONS) actionsReceived.shift();
      },
      onClose: (s) => sessions.delete(s),
    });
    sessions.add(session);
    logger.debug('AMI client connected', { session: id });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fake PBX has no TCP address');
  const port = address.port;
  let closing: Promise<void> | undefined;

  return {
    host,
    port,
    url: `ami://${host}:${port}`,
    get sessions() {
      return [...sessions];
    },
    actionsReceived,
    lab,
    placeCall(spec) {
      if (closing) throw new Error('fake PBX is closed');
      const call = startCall(state, spec, timers);
      calls.add(call);
      void call.done.then(() => calls.delete(call));
      return call;
    },
    channels: () => state.channels.list(),
    emitEvent: (event) => state.emit(event),
    dropConnections() {
      for (const s of sessions) s.drop();
    },
    close() {
      closing ??= (async () => {
        for (const call of calls) call.cancel();
        timers.clearAll();
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await state.recordings.closeAll();
        await serverClosed;
      })();
      return closing;
    },
  };
}
