import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../log/logger.ts';
import { dispatch, type Gate } from './dispatch.ts';
import type { FaultController, ResolvedFault } from './faults.ts';
import { parseBody, readBody } from './http-body.ts';
import { badRequest, json, type Reply } from './reply.ts';
import {
  queryObject,
  type RecordedRequest,
  type RequestLog,
  redactBody,
  redactHeaders,
} from './request-log.ts';
import { writeFaultBody, writeReply } from './respond.ts';
import { type Router, unmatchedEndpoint } from './router.ts';
import type { Handler, World } from './world.ts';

/** JSON bodies beyond this are refused; uploads have their own limit. */
const MAX_JSON_BYTES = 8 * 1024 * 1024;

export interface PipelineDeps {
  world: World;
  gate: Gate;
  router: Router<Handler>;
  faults: FaultController;
  log: RequestLog;
  logger: Logger;
  /** Latency that ends early (false) when the server closes. */
  wait(ms: number): Promise<boolean>;
}

/**
 * One request, start to end: read and record it, wait the injected latency, let a fault take
 * over (before or after the request takes effect), otherwise dispatch and answer.
 */
export function requestPipeline(deps: PipelineDeps) {
  const { world, gate, router, faults, log, logger } = deps;

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const base = world.baseUrl();
    const url = new URL(req.url ?? '/', base);
    const match = router.match(method, url.pathname);
    const endpoint = match?.endpoint ?? unmatchedEndpoint(method);
    const raw = match?.route.rawBody === true;
    const body = await readBody(req, raw ? world.maxUploadBytes : MAX_JSON_BYTES);
    const parsed = raw
      ? { ok: true as const, value: undefined }
      : parseBody(body.raw, req.headers['content-type']);
    const entry = log.add({
      at: world.clock.now(),
      method,
      path: url.pathname,
      query: queryObject(url.searchParams),
      headers: redactHeaders(req.headers),
      body: parsed.ok ? redactBody(parsed.value) : undefined,
      bodyBytes: body.bytes,
      endpoint,
    });
    if (!(await deps.wait(faults.latencyFor(endpoint)))) return;
    const fault = faults.pick(endpoint);
    if (fault && !fault.after) return applyFault(fault, req, res, entry);

    let reply: Reply;
    if (!parsed.ok) reply = badRequest('InvalidJSON', parsed.reason);
    else if (body.tooLarge && !raw)
      reply = json(413, { error: 'RequestTooLarge', description: 'Body too large' });
    else {
      const context = {
        world,
        query: url.searchParams,
        body: parsed.value,
        raw: body.raw,
        bodyTooLarge: body.tooLarge,
        bodyBytes: body.bytes,
        headers: req.headers,
        selfUrl: `${base}${url.pathname}`,
      };
      reply = dispatch(match, context, gate);
    }
    if (fault) return applyFault(fault, req, res, entry);
    entry.status = reply.status;
    entry.outcome = 'answered';
    writeReply(res, reply);
    logger.debug(() => `${method} ${url.pathname} → ${reply.status}`);
  };
}

async function applyFault(
  fault: ResolvedFault,
  req: IncomingMessage,
  res: ServerResponse,
  entry: RecordedRequest,
) {
  entry.fault = fault.kind === 'status' ? String(fault.status) : fault.kind;
  if (fault.kind === 'timeout') {
    entry.outcome = 'timeout';
    return; // held: the socket stays open until the server closes
  }
  if (fault.kind === 'drop') {
    entry.outcome = 'dropped';
    req.socket.destroy();
    return;
  }
  entry.status = fault.status;
  entry.outcome = 'answered';
  await writeFaultBody(res, fault);
}
