import type { Server } from 'node:http';
import type { Socket } from 'node:net';

interface Wait {
  timer: NodeJS.Timeout;
  resolve: (go: boolean) => void;
}

/**
 * Keeps what a closing server must cut: kept-alive and held sockets (timeout faults never
 * answer), and latency timers still running.
 */
export class Connections {
  readonly #sockets = new Set<Socket>();
  readonly #waits = new Set<Wait>();
  #closing = false;

  track(server: Server): void {
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** Resolves true after `ms` of wall-clock time, or false at once when the server closes. */
  wait(ms: number): Promise<boolean> {
    if (this.#closing) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const entry: Wait = {
        timer: setTimeout(() => {
          this.#waits.delete(entry);
          resolve(!this.#closing);
        }, ms),
        resolve,
      };
      this.#waits.add(entry);
    });
  }

  async close(server: Server): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const entry of this.#waits) {
      clearTimeout(entry.timer);
      entry.resolve(false);
    }
    this.#waits.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}
