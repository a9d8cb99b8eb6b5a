import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';

/**
 * One HTTP exchange with Zendesk on node:http/https and their keep-alive agents, nothing more:
 * lanes, the rate gate, retries and error reading stay in ZendeskHttp. Written for the answer
 * path: got spent 0.18 ms between being called and writing the first byte of a pop request and
 * about 0.3 ms of CPU per request; this writes it within 0.02 ms (bench/README.md, section 3).
 */

export interface HttpExchange {
  method: string;
  url: URL;
  headers: Record<string, string>;
  /** Sent as is; a stream is piped (its length, if known, belongs in the headers). */
  body?: string | Buffer | Readable;
  /** For the whole exchange, from the call to the last byte of the answer. */
  timeoutMs: number;
}

export interface HttpAnswer {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** Decoded as UTF-8 after undoing gzip, deflate or br. */
  body: string;
}

/** A transport failure, with a code as Node gives them (`ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`). */
export class HttpTransportError extends Error {
  readonly code: string;

  constructor(message: string, code: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'HttpTransportError';
    this.code = code;
  }
}

/** What we can undo; asked for in every request, as got did. */
export const ACCEPT_ENCODING = 'gzip, deflate, br';

export function exchange(request: HttpExchange): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const client = request.url.protocol === 'https:' ? https : http;
    const body = request.body;
    const streamed = body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body);
    const req = client.request(request.url, { method: request.method, headers: request.headers });
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      if (streamed) body.destroy();
      reject(asTransportError(error));
    };
    const timer = setTimeout(
      () => fail(new HttpTransportError(`no answer within ${request.timeoutMs} ms`, 'ETIMEDOUT')),
      request.timeoutMs,
    );
    req.on('error', fail);
    req.on('response', (res: IncomingMessage) => {
      const decoded = decode(res);
      decoded.setEncoding('utf8');
      let text = '';
      decoded.on('data', (chunk: string) => {
        text += chunk;
      });
      decoded.on('error', fail);
      // Closed before the answer was complete: a cut connection, a body shorter than announced.
      res.on('close', () => {
        if (!res.complete) fail(new HttpTransportError('the answer was cut off', 'ECONNRESET'));
      });
      decoded.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: text });
      });
    });
    if (streamed) {
      body.on('error', fail);
      body.pipe(req);
    } else {
      req.end(body);
    }
  });
}

function decode(res: IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  const inflate =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib.createGunzip()
      : encoding === 'deflate'
        ? zlib.createInflate()
        : encoding === 'br'
          ? zlib.createBrotliDecompress()
          : undefined;
  if (!inflate) return res;
  res.on('error', (error) => inflate.destroy(error));
  return res.pipe(inflate);
}

function asTransportError(error: unknown): HttpTransportError {
  if (error instanceof HttpTransportError) return error;
  const code = (error as { code?: unknown }).code;
  return new HttpTransportError(
    (error as Error).message ?? String(error),
    typeof code === 'string' ? code : 'ERR_NETWORK',
    error,
  );
}
