import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DaemonStatus } from '../daemon/daemon.ts';
import type { Logger } from '../log/logger.ts';
import { packageVersion } from '../util/package-version.ts';
import { ErrorRing } from './error-ring.ts';
import type { IntegrationSnapshot } from './integration-snapshot.ts';
import { effectiveListen, type ListenAddress, listenText } from './listen-address.ts';
import { BridgeMetrics } from './metrics.ts';
import { readiness } from './readiness.ts';
import { statusReport } from './status-report.ts';

/** What the listener reads from the daemon on each request. */
export interface DaemonView {
  readonly status: DaemonStatus;
  snapshot(): IntegrationSnapshot | undefined;
}

export interface OpsServerOptions {
  /** The daemon's root logger: the listener logs under `ops`, and the error ring taps it. */
  logger: Logger;
  /** `cti-bridge run --listen` / `CTI_BRIDGE_LISTEN`: wins over the active profile's keys. */
  listen?: ListenAddress | undefined;
  /** Node's process metrics in /metrics too (the daemon process; not in-process tests). */
  processMetrics?: boolean;
  now?: () => number;
}

const ROUTES = ['/healthz', '/readyz', '/metrics', '/status'] as const;

/** A scrape or a status request is small and quick; anything slower is a stuck client. */
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_CONNECTIONS = 64;

/**
 * The daemon's operations listener: `/healthz`, `/readyz`, `/metrics`, `/status`. It belongs to
 * the daemon, not to a profile: it is up while idle, and moves when the active profile's
 * `operations` keys change (unless `--listen` fixed it). No authentication: loopback by default.
 */
export class OpsServer {
  readonly metrics: BridgeMetrics;
  readonly errors = new ErrorRing();
  readonly #o: OpsServerOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #startedAt: number;
  readonly #version = packageVersion();
  #view: DaemonView | undefined;
  #server: Server | undefined;
  /** What was asked for (port 0 stays 0 here), and what the socket got. */
  #requested: ListenAddress | undefined;
  #bound: ListenAddress | undefined;
  #moves: Promise<void> = Promise.resolve();

  constructor(options: OpsServerOptions) {
    this.#o = options;
    this.#log = options.logger.child('ops');
    this.#now = options.now ?? Date.now;
    this.#startedAt = this.#now();
    // For the life of the logger: a daemon restarted in-process (tests) keeps collecting.
    this.errors.attach(options.logger);
    this.metrics = new BridgeMetrics({
      source: () => ({ running: this.#view?.status.kind === 'running', snapshot: this.#view?.snapshot() }),
      processMetrics: options.processMetrics ?? false,
    });
  }

  /** The address and port the listener has now (the real port when 0 was asked for). */
  get address(): ListenAddress | undefined {
    return this.#bound;
  }

  attach(view: DaemonView): void {
    this.#view = view;
  }

  /**
   * Listens where the daemon's setting, else the active profile's `operations` keys, else the
   * defaults say; moves when that changes. A failure to listen is logged, never thrown: the
   * calls matter more than their metrics, and the next configuration change tries again.
   */
  follow(profile: ListenAddress | undefined): Promise<void> {
    const wanted = effectiveListen(this.#o.listen, profile);
    const next = this.#moves.then(() => this.#moveTo(wanted));
    this.#moves = next.catch(() => {});
    return next;
  }

  async stop(): Promise<void> {
    await this.#moves;
    await this.#close();
  }

  async #moveTo(wanted: ListenAddress): Promise<void> {
    if (this.#server && this.#requested && sameAddress(this.#requested, wanted)) return;
    const previous = this.#requested;
    // Close first: the same port on another address of this host would clash with the old socket.
    await this.#close();
    try {
      await this.#listen(wanted);
    } catch (error) {
      this.#log.error('operations listener cannot listen: health, metrics and status are unavailable', {
        address: wanted.address,
        port: wanted.port,
        err: error,
        ...(previous ? { previous: listenText(previous) } : {}),
      });
      if (previous) await this.#listen(previous).catch(() => {});
    }
  }

  async #listen(wanted: ListenAddress): Promise<void> {
    const server = createServer((request, response) => void this.#handle(request, response));
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.headersTimeout = REQUEST_TIMEOUT_MS;
    server.maxConnections = MAX_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: wanted.address, port: wanted.port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.#log.error('operations listener failed', { err: error }));
    const info = server.address() as AddressInfo;
    this.#server = server;
    this.#requested = wanted;
    this.#bound = { address: info.address, port: info.port };
    this.#log.info('listening', {
      address: info.address,
      port: info.port,
      routes: ROUTES.join(' '),
    });
  }

  async #close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    this.#requested = undefined;
    this.#bound = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    try {
      if (!(ROUTES as readonly string[]).includes(path)) {
        sendJson(response, 404, { error: `no such route: ${path}`, routes: ROUTES });
        return;
      }
      if (request.method !== 'GET') {
        response.setHeader('allow', 'GET');
        sendJson(response, 405, { error: `${request.method} is not allowed here; use GET` });
        return;
      }
      switch (path) {
        case '/healthz': {
          const state = this.#view?.status.kind ?? 'starting';
          sendJson(response, state === 'stopped' ? 503 : 200, { ok: state !== 'stopped', state });
          return;
        }
        case '/readyz': {
          const ready = readiness(this.#running() !== undefined, this.#view?.snapshot());
          sendJson(response, ready.ready ? 200 : 503, ready);
          return;
        }
        case '/metrics': {
          const { contentType, body } = await this.metrics.render();
          send(response, 200, contentType, body);
          return;
        }
        case '/status':
          sendJson(response, 200, this.#status());
          return;
      }
    } catch (error) {
      this.#log.error('operations request failed', { path, err: error });
      if (!response.headersSent) sendJson(response, 500, { error: 'internal error; see the daemon log' });
      else response.destroy();
    }
  }

  #running(): { profile: string; file: string } | undefined {
    const status = this.#view?.status;
    return status?.kind === 'running' ? { profile: status.profile, file: status.file } : undefined;
  }

  #status() {
    const running = this.#running();
    const snapshot = running ? this.#view?.snapshot() : undefined;
    return statusReport({
      version: this.#version,
      pid: process.pid,
      startedAt: this.#startedAt,
      now: this.#now(),
      daemonState: this.#view?.status.kind ?? 'starting',
      profile: running ? { name: running.profile, file: running.file } : undefined,
      readiness: readiness(running !== undefined, snapshot),
      snapshot,
      recentErrors: this.errors.recent(running?.profile),
    });
  }
}

function sameAddress(a: ListenAddress, b: ListenAddress): boolean {
  return a.address === b.address && a.port === b.port;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(body);
}
