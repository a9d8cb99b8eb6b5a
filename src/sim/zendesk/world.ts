import type { IncomingHttpHeaders } from 'node:http';
import type { TokenStore } from './auth.ts';
import type { Clock } from './clock.ts';
import type { ExportLog } from './export-log.ts';
import type { JobQueue } from './jobs.ts';
import type { Pop, UserRecord } from './records.ts';
import type { Reply } from './reply.ts';
import type { SearchIndex } from './search-index.ts';
import type { ZendeskState } from './state.ts';

/** Everything a handler may touch, passed in rather than imported (no module state). */
export interface World {
  state: ZendeskState;
  index: SearchIndex;
  /** What the incremental user export reads. */
  exportLog: ExportLog;
  clock: Clock;
  pops: Pop[];
  tokens: TokenStore;
  /** Background jobs (update_many). */
  jobs: JobQueue;
  /** `http://127.0.0.1:PORT`, known once the server listens. */
  baseUrl(): string;
  maxUploadBytes: number;
  uploadTokenTtlMs: number;
}

export interface HandlerContext {
  world: World;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON (or form) body; undefined when empty or raw. */
  body: unknown;
  raw: Buffer;
  /** True when the body was longer than the route accepts (its bytes were not kept). */
  bodyTooLarge: boolean;
  bodyBytes: number;
  headers: IncomingHttpHeaders;
  /** Absolute URL of the path as requested, for pagination links. */
  selfUrl: string;
  /** The authenticated user; undefined on public routes. */
  user: UserRecord | undefined;
}

export type Handler = (ctx: HandlerContext) => Reply;

/** A plain JSON object, or undefined: request bodies are untrusted. */
export function objectAt(value: unknown, key: string): Record<string, unknown> | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const inner = (value as Record<string, unknown>)[key];
  return inner !== null && typeof inner === 'object' && !Array.isArray(inner)
    ? (inner as Record<string, unknown>)
    : undefined;
}

/** A positive integer id from a path segment or body field, or null. */
export function idOf(value: unknown): number | null {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : null;
}
