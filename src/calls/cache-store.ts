import KeyvRedis from '@keyv/redis';
import Keyv from 'keyv';
import type { Secret } from '../util/secret.ts';
import { SqliteKeyvStore } from './sqlite-store.ts';

export interface CallerCache<T> {
  keyv: Keyv<T>;
  /** Closes connections and files. */
  close(): Promise<void>;
}

/**
 * The caller cache from the profile's `cache.store`: `memory`, `sqlite:<file>` (survives restarts)
 * or `redis://…` (shared by several bridges).
 */
export function createCallerCache<T>(store: string, password?: Secret): CallerCache<T> {
  if (store === 'memory') {
    const keyv = new Keyv<T>({ namespace: 'cti-bridge' });
    return { keyv, close: async () => {} };
  }
  if (store.startsWith('sqlite:')) {
    const sqlite = new SqliteKeyvStore(store.slice('sqlite:'.length));
    const keyv = new Keyv<T>({ store: sqlite as never, namespace: 'cti-bridge' });
    return { keyv, close: async () => sqlite.close() };
  }
  if (store.startsWith('redis://') || store.startsWith('rediss://')) {
    const url = new URL(store);
    if (password) url.password = password.reveal();
    const redis = new KeyvRedis(url.toString(), { throwOnConnectError: false, connectionTimeout: 5_000 });
    const keyv = new Keyv<T>({ store: redis, namespace: 'cti-bridge', useKeyPrefix: false });
    return { keyv, close: () => redis.disconnect() };
  }
  throw new Error(`cache.store: unsupported store ${JSON.stringify(store)}`);
}
