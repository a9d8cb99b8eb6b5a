import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import KeyvRedis, { createClient } from '@keyv/redis';
import Keyv from 'keyv';
import type { Secret } from '../util/secret.ts';
import { SqliteKeyvStore } from './sqlite-store.ts';

export interface CallerCache<T> {
  keyv: Keyv<T>;
  /** Closes connections and files. Idempotent. */
  close(): Promise<void>;
  /** Numbers held, where the store can say so cheaply (memory); `cti-bridge status` shows it. */
  entries?(): number;
}

/**
 * A cache operation on redis that got no answer in this time fails: a cache must never hold a
 * call up. (node-redis's own command `timeout` only covers the wait before the command is
 * written, not the wait for the answer: a server that stopped answering kept `get` pending.)
 */
export const REDIS_OPERATION_TIMEOUT_MS = 500;
/** One connection attempt (TCP + handshake). */
const REDIS_CONNECT_TIMEOUT_MS = 2_000;
/**
 * Reconnection backoff: 100 ms doubling, at most this; the client retries for ever. Kept short:
 * node-redis cannot cancel the wait, so a process that closed the cache lives on until it ends.
 */
export const REDIS_MAX_RECONNECT_DELAY_MS = 1_000;
/** A graceful QUIT that gets no answer in this time is cut off. */
const REDIS_CLOSE_TIMEOUT_MS = 1_000;

/** Default key prefix; the integration passes one per Zendesk account (user ids are per account). */
const NAMESPACE = 'cti-bridge';

/** Numbers the `memory` store keeps at most (about 5 MB); the least recently written go first. */
export const MEMORY_CACHE_ENTRIES = 20_000;

/**
 * keyv's memory store is a Map that drops an expired entry only when it is read again, so numbers
 * that never call back would stay for the life of the process (measured: bench/memory.ts). This
 * Map forgets the entry written longest ago once it holds `max`.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  readonly #max: number;

  constructor(max: number) {
    super();
    this.#max = max;
  }

  override set(key: K, value: V): this {
    // Re-inserted keys move to the end: the order is the order of the last write.
    super.delete(key);
    super.set(key, value);
    if (this.size > this.#max) {
      const oldest = this.keys().next();
      if (!oldest.done) super.delete(oldest.value);
    }
    return this;
  }
}

/**
 * The caller cache from the profile's `cache.store`: `memory`, `sqlite:<file>` (survives restarts)
 * or `redis://…` (shared by several bridges). `memoryEntries` bounds the `memory` store
 * (benchmarks try other bounds).
 *
 * Every store fails loudly and quickly rather than silently or never: `keyv.get`/`keyv.set` reject
 * when the store cannot be used (keyv's `throwOnErrors`), and CallerLookup logs that and carries on
 * without the cache. A bad `cache.store` throws here, at start-up, naming `cache.store`.
 */
export function createCallerCache<T>(
  store: string,
  password?: Secret,
  namespace = NAMESPACE,
  memoryEntries = MEMORY_CACHE_ENTRIES,
): CallerCache<T> {
  if (store === 'memory') {
    const map = new BoundedMap<string, unknown>(memoryEntries);
    const keyv = new Keyv<T>({
      store: map,
      namespace,
      throwOnErrors: true,
      // keyv's own serializer builds the text by concatenation: a rope of some fifteen V8 string
      // pieces, which the Map keeps as it is — three times the flat text (measured: 711 against
      // 226 bytes an entry). The entries never leave the process: plain JSON is all they need.
      serialize: (data) => JSON.stringify(data),
      deserialize: (text) => JSON.parse(text),
    });
    return { keyv, close: async () => {}, entries: () => map.size };
  }
  if (store.startsWith('sqlite:')) return sqliteCache<T>(store, namespace);
  if (store.startsWith('redis://') || store.startsWith('rediss://'))
    return redisCache<T>(store, password, namespace);
  throw new Error(
    `cache.store ${JSON.stringify(store)} is not supported: use memory, sqlite:<file> or redis://…`,
  );
}

/**
 * A file in a directory that does not exist is refused, not created: under systemd the cache
 * belongs in the state directory (`/var/lib/cti-bridge`, which systemd creates), everything else
 * is read-only there (`ProtectSystem=strict`), and a missing directory is far more often a typo
 * than a wish. The error names `cache.store` and the directory.
 */
function sqliteCache<T>(store: string, namespace: string): CallerCache<T> {
  const file = store.slice('sqlite:'.length);
  if (file === '')
    throw new Error('cache.store "sqlite:" needs a file path, like sqlite:/var/lib/cti-bridge/cache.db');
  const dir = dirname(resolve(file));
  if (!existsSync(dir)) {
    throw new Error(
      `cache.store ${JSON.stringify(store)}: the directory ${dir} does not exist (the cache file is created, its directory is not)`,
    );
  }
  let sqlite: SqliteKeyvStore;
  try {
    sqlite = new SqliteKeyvStore(file);
  } catch (error) {
    throw new Error(`cache.store ${JSON.stringify(store)}: cannot open the SQLite file: ${message(error)}`, {
      cause: error,
    });
  }
  const keyv = new Keyv<T>({ store: sqlite as never, namespace, throwOnErrors: true });
  return { keyv, close: async () => sqlite.close() };
}

/**
 * Redis through @keyv/redis, on a node-redis client set up here rather than by @keyv/redis, whose
 * defaults do not suit a call path (measured against redis-server 7.0):
 * - its commands wait in an offline queue while the server is away: a `set` after redis stopped
 *   never settled. Here the offline queue is off (commands fail at once while disconnected) and
 *   every operation has a timeout (a server that keeps the connection but does not answer).
 * - with `throwOnConnectError: false` it connected lazily on each operation: every get/set took
 *   the full `connectionTimeout` (5 s) while redis was unreachable or the password was wrong,
 *   then reported success (`set` → true, `get` → undefined) with nothing logged; each attempt
 *   added listeners to the client; and the timeout's timer kept a closed process alive 5 s.
 *   Here the client connects once, at creation, and keeps reconnecting in the background.
 * Failures are rethrown with the last connection error (ECONNREFUSED, WRONGPASS), never the
 * password: the password goes to the client as an option, not into the URL.
 */
function redisCache<T>(store: string, password: Secret | undefined, namespace: string): CallerCache<T> {
  let closed = false;
  const client = createClient({
    url: store,
    ...(password ? { password: password.reveal() } : {}),
    disableOfflineQueue: true,
    socket: {
      connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries: number) =>
        closed ? false : Math.min(100 * 2 ** retries, REDIS_MAX_RECONNECT_DELAY_MS),
    },
  });
  let lastError: unknown;
  let firstAttemptDone: () => void = () => {};
  // Calls made while the first connection attempt runs (the daemon's first call comes right after
  // start-up) wait for its outcome, at most the connect timeout; later calls never wait.
  let firstAttempt: Promise<void> | undefined = new Promise<void>((done) => {
    const timer = setTimeout(done, REDIS_CONNECT_TIMEOUT_MS);
    timer.unref();
    firstAttemptDone = () => {
      clearTimeout(timer);
      firstAttempt = undefined;
      done();
    };
  });
  client.on('error', (error: unknown) => {
    lastError = error;
    firstAttemptDone();
  });
  client.on('ready', () => {
    lastError = undefined;
    firstAttemptDone();
  });
  // Settles when connected (or closed); failures arrive as 'error' events, retried for ever.
  client.connect().catch(() => {});
  const adapter = new KeyvRedis(client, { throwOnConnectError: false, throwOnErrors: true });
  // Its errors reach us as rejections (throwOnErrors); the events need no listener.
  adapter.on('error', () => {});
  const guarded = new GuardedStore(
    adapter,
    () => firstAttempt,
    (error) => {
      const reason = client.isReady ? message(error) : message(lastError ?? error);
      const state = client.isReady ? 'command failed' : 'not connected';
      return new Error(`cache.store ${store}: redis ${state}: ${reason}`, { cause: error });
    },
  );
  const keyv = new Keyv<T>({
    store: guarded as never,
    namespace,
    useKeyPrefix: false,
    throwOnErrors: true,
  });
  return {
    keyv,
    close: async () => {
      if (closed) return;
      closed = true;
      guarded.close();
      if (client.isReady) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          client.close().catch(() => {}),
          new Promise((done) => {
            timer = setTimeout(done, REDIS_CLOSE_TIMEOUT_MS);
          }),
        ]);
        clearTimeout(timer);
      }
      if (client.isOpen) client.destroy();
    },
  };
}

interface KeyvAdapter {
  namespace: string | undefined;
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown, ttl?: number): Promise<unknown>;
  delete(key: string): Promise<boolean>;
  clear(): Promise<void>;
  has(key: string): Promise<boolean>;
}

/**
 * Passes every call through to the adapter; its failures are rewritten to say what is wrong. Once
 * closed it refuses calls: @keyv/redis would reconnect a closed client on the next call.
 */
class GuardedStore {
  readonly #inner: KeyvAdapter;
  readonly #explain: (error: unknown) => Error;
  readonly #ready: () => Promise<void> | undefined;
  #closed = false;

  constructor(
    inner: KeyvAdapter,
    ready: () => Promise<void> | undefined,
    explain: (error: unknown) => Error,
  ) {
    this.#inner = inner;
    this.#ready = ready;
    this.#explain = explain;
  }

  // Keyv sets the namespace on its store; @keyv/redis prefixes keys with it.
  get namespace(): string | undefined {
    return this.#inner.namespace;
  }

  set namespace(value: string | undefined) {
    this.#inner.namespace = value;
  }

  get(key: string): Promise<unknown> {
    return this.#call(() => this.#inner.get(key));
  }

  set(key: string, value: unknown, ttl?: number): Promise<unknown> {
    return this.#call(() => this.#inner.set(key, value, ttl));
  }

  delete(key: string): Promise<boolean> {
    return this.#call(() => this.#inner.delete(key));
  }

  clear(): Promise<void> {
    return this.#call(() => this.#inner.clear());
  }

  has(key: string): Promise<boolean> {
    return this.#call(() => this.#inner.has(key));
  }

  close(): void {
    this.#closed = true;
  }

  async #call<R>(operation: () => Promise<R>): Promise<R> {
    if (this.#closed) throw new Error('the caller cache is closed');
    const ready = this.#ready();
    if (ready) await ready;
    if (this.#closed) throw new Error('the caller cache is closed');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, fail) => {
      timer = setTimeout(
        () => fail(new Error(`no answer within ${REDIS_OPERATION_TIMEOUT_MS} ms`)),
        REDIS_OPERATION_TIMEOUT_MS,
      );
    });
    try {
      // The operation left behind settles when the server answers or the connection drops.
      return await Promise.race([operation(), timeout]);
    } catch (error) {
      throw this.#explain(error);
    } finally {
      clearTimeout(timer);
    }
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
