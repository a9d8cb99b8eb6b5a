import { createServer, type Socket } from 'node:net';
import {
  AMI_BANNER,
  type AmiMessage,
  AmiParser,
  type AmiRecord,
  encodeAmiMessage,
} from '../../src/pbx/ami-codec.ts';

/** One client connection to the loopback AMI server. */
export interface AmiSession {
  readonly id: number;
  readonly socket: Socket;
  /** Writes one message (fields are encoded) or raw text/bytes as they are. */
  send(message: AmiRecord | string | Buffer): void;
  /** Writes buffers one after another as fast as the socket drains; false if it closed first. */
  stream(chunks: Iterable<Buffer>): Promise<boolean>;
  /** Closes the connection the way a dying PBX does: no Goodbye. */
  drop(): void;
}

export interface AmiServerHandlers {
  /** Every action a client sends, parsed. Unhandled actions get no answer at all. */
  onAction?(session: AmiSession, action: AmiMessage): void;
}

export interface LoopbackAmiServer {
  readonly port: number;
  readonly sessions: readonly AmiSession[];
  /** How many Login actions arrived, over all connections. */
  readonly logins: number;
  dropAll(): void;
  close(): Promise<void>;
}

/**
 * A loopback-only TCP server that speaks the AMI framing: banner on connect, actions parsed with
 * our codec, answers left to the handler. Benchmarks and checks shape the PBX's behaviour with it.
 */
export function startLoopbackAmi(handlers: AmiServerHandlers = {}): Promise<LoopbackAmiServer> {
  const sessions: AmiSession[] = [];
  const sockets = new Set<Socket>();
  let logins = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    const parser = new AmiParser();
    const session: AmiSession = {
      id: sessions.length + 1,
      socket,
      send(message) {
        if (socket.destroyed) return;
        socket.write(
          typeof message === 'string' || Buffer.isBuffer(message) ? message : encodeAmiMessage(message),
        );
      },
      async stream(chunks) {
        for (const chunk of chunks) {
          if (socket.destroyed || socket.writableEnded) return false;
          if (!socket.write(chunk)) {
            await new Promise<void>((resolve) => {
              const done = () => {
                socket.off('drain', done);
                socket.off('close', done);
                resolve();
              };
              socket.on('drain', done);
              socket.on('close', done);
            });
          }
        }
        return !socket.destroyed;
      },
      drop() {
        socket.destroy();
      },
    };
    sessions.push(session);
    socket.write(`${AMI_BANNER}\r\n`);
    socket.on('data', (chunk: Buffer) => {
      for (const action of parser.feed(chunk)) {
        if (action.name.toLowerCase() === 'login') logins++;
        handlers.onAction?.(session, action);
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('no TCP address'));
        return;
      }
      resolve({
        port: address.port,
        sessions,
        get logins() {
          return logins;
        },
        dropAll() {
          for (const socket of sockets) socket.destroy();
        },
        close() {
          for (const socket of sockets) socket.destroy();
          return new Promise<void>((done) => server.close(() => done()));
        },
      });
    });
  });
}

/** What Asterisk answers to a Login: success, or (after its delay) an error and a closed socket. */
export function loginResponse(action: AmiMessage, ok: boolean): string {
  const actionId = action.get('ActionID');
  return encodeAmiMessage({
    Response: ok ? 'Success' : 'Error',
    ...(actionId === undefined ? {} : { ActionID: actionId }),
    Message: ok ? 'Authentication accepted' : 'Authentication failed',
  });
}
