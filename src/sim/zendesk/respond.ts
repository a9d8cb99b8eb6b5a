import type { ServerResponse } from 'node:http';
import type { ResolvedFault } from './faults.ts';
import type { Reply } from './reply.ts';

const JSON_TYPE = 'application/json; charset=utf-8';
const CHUNK = Buffer.alloc(64 * 1024, 'x');

export function writeReply(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...reply.headers };
  let payload: Buffer;
  if (reply.raw) {
    headers['Content-Type'] = reply.raw.contentType;
    payload = reply.raw.data;
  } else if (reply.body === undefined) {
    payload = Buffer.alloc(0);
  } else {
    headers['Content-Type'] = JSON_TYPE;
    payload = Buffer.from(JSON.stringify(reply.body));
  }
  headers['Content-Length'] = String(payload.length);
  res.writeHead(reply.status, headers);
  res.end(payload);
}

/** Answers with an injected error: JSON, an HTML error page, plain text, or a huge body. */
export async function writeFaultBody(res: ServerResponse, fault: ResolvedFault): Promise<void> {
  const headers: Record<string, string> = {};
  if (fault.retryAfterSec !== undefined) headers['Retry-After'] = String(fault.retryAfterSec);
  if (fault.kind === 'huge') return writeHuge(res, fault.status, fault.bytes, headers);
  if (fault.kind === 'html') {
    const title = `${fault.status} Bad Gateway`;
    const page = `<!DOCTYPE html>\n<html><head><title>${title}</title></head><body><h1>${title}</h1><hr><center>nginx</center></body></html>\n`;
    return send(res, fault.status, 'text/html; charset=utf-8', page, headers);
  }
  if (fault.kind === 'text')
    return send(res, fault.status, 'text/plain; charset=utf-8', 'Internal Server Error\n', headers);
  const body = JSON.stringify({ error: errorName(fault.status), description: 'Injected fault' });
  return send(res, fault.status, JSON_TYPE, body, headers);
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  text: string,
  headers: Record<string, string>,
) {
  const payload = Buffer.from(text);
  res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': String(payload.length) });
  res.end(payload);
}

/** Valid JSON of the requested size, written with back-pressure so memory stays flat. */
async function writeHuge(
  res: ServerResponse,
  status: number,
  bytes: number,
  headers: Record<string, string>,
) {
  const head = '{"padding":"';
  const tail = '"}';
  const total = Math.max(bytes, head.length + tail.length);
  res.writeHead(status, { ...headers, 'Content-Type': JSON_TYPE, 'Content-Length': String(total) });
  res.write(head);
  let left = total - head.length - tail.length;
  while (left > 0 && !res.destroyed) {
    const n = Math.min(left, CHUNK.length);
    left -= n;
    if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) await drained(res);
  }
  if (!res.destroyed) res.end(tail);
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function errorName(status: number): string {
  if (status === 503) return 'ServiceUnavailable';
  if (status === 502) return 'BadGateway';
  if (status === 504) return 'GatewayTimeout';
  if (status === 429) return 'TooManyRequests';
  return status >= 500 ? 'InternalServerError' : 'Error';
}
