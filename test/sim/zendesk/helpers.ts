import type { TestContext } from 'node:test';
import {
  DEFAULT_CREDENTIALS,
  type FakeZendesk,
  type FakeZendeskOptions,
  ManualClock,
  startFakeZendesk,
} from '../../../src/sim/zendesk/index.ts';

export const API_TOKEN_AUTH = basic(
  `${DEFAULT_CREDENTIALS.apiTokens[0].email}/token`,
  DEFAULT_CREDENTIALS.apiTokens[0].token,
);
export const BEARER_AUTH = `Bearer ${DEFAULT_CREDENTIALS.oauth.accessTokens[0]}`;

export function basic(user: string, secret: string): string {
  return `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
}

export interface Fake {
  zd: FakeZendesk;
  clock: ManualClock;
  call(method: string, path: string, init?: CallInit): Promise<CallResult>;
}

export interface CallInit {
  body?: unknown;
  /** Sent as is (Buffer or string) instead of JSON. */
  raw?: Buffer | string;
  headers?: Record<string, string>;
  /** Authorization header; null sends none. API token by default. */
  auth?: string | null;
  signal?: AbortSignal;
}

export interface CallResult {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the text when the body is not JSON. */
  body: unknown;
  text: string;
}

/** A fake Zendesk on a manual clock, closed when the test ends. */
export async function startFake(t: TestContext, options: FakeZendeskOptions = {}): Promise<Fake> {
  const clock = new ManualClock();
  const zd = await startFakeZendesk({ clock, ...options });
  t.after(() => zd.close());
  const call = (method: string, path: string, init: CallInit = {}) => request(zd.url, method, path, init);
  return { zd, clock, call };
}

export async function request(
  base: string,
  method: string,
  path: string,
  init: CallInit = {},
): Promise<CallResult> {
  const headers: Record<string, string> = { ...init.headers };
  const auth = init.auth === undefined ? API_TOKEN_AUTH : init.auth;
  if (auth !== null) headers.authorization = auth;
  let body: string | Buffer | undefined;
  if (init.raw !== undefined) body = init.raw;
  else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** Test-side access to a JSON body without a cast at every step. */
// biome-ignore lint/suspicious/noExplicitAny: tests read untyped JSON answers
export function j(result: CallResult): any {
  return result.body;
}

export function userId(zd: FakeZendesk, email: string): number {
  const user = zd.state.userByEmail(email);
  if (!user) throw new Error(`no seeded user ${email}`);
  return user.id;
}
