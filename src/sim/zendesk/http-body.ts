import type { IncomingMessage } from 'node:http';

export interface RequestBody {
  raw: Buffer;
  bytes: number;
  /** The body was longer than allowed: its bytes were counted and thrown away. */
  tooLarge: boolean;
}

/** Reads the whole body, keeping at most `limit` bytes in memory. */
export async function readBody(req: IncomingMessage, limit: number): Promise<RequestBody> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    bytes += buf.length;
    if (bytes > limit) {
      tooLarge = true;
      chunks.length = 0;
    } else {
      chunks.push(buf);
    }
  }
  return { raw: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), bytes, tooLarge };
}

export type ParsedBody = { ok: true; value: unknown } | { ok: false; reason: string };

/** JSON, or a form (the OAuth token endpoint takes both); an empty body is `undefined`. */
export function parseBody(raw: Buffer, contentType: string | undefined): ParsedBody {
  if (raw.length === 0) return { ok: true, value: undefined };
  const text = raw.toString('utf8');
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    return { ok: true, value: Object.fromEntries(new URLSearchParams(text)) };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, reason: 'The request body is not valid JSON' };
  }
}
