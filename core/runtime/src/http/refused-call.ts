import type { Request } from 'express';
import type { CallRequest } from '../calls/call';
import type { CallRunner } from '../calls/runner';
import { problemFor } from './errors';
import { prefersAsync } from './routes/jobs';

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The call a request to a call route asked for, as far as it can be read (its body may not have parsed). */
export function requestedCall(req: Request): CallRequest {
  const body = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
  const background = req.path.startsWith('/v1/jobs') || req.path.startsWith('/v1/batches') || prefersAsync(req);
  const streaming = !background && (req.get('accept') ?? '').includes('text/event-stream');
  const base = { requestId: req.id, caller: req.caller, clientIp: req.ip, transport: background ? 'job' : streaming ? 'sse' : 'http', streaming, body: req.body } as const;
  const sessionId = text(req.params.sessionId);
  if (sessionId) return { ...base, kind: 'message', sessionId };
  return { ...base, kind: 'operation', plugin: text(req.params.id) ?? text(body.plugin) ?? '', operation: text(req.params.operation) ?? text(body.operation) ?? '' };
}

/**
 * Writes the audit line of a request to a call route that was refused before the call was
 * handed on (its body did not parse, was not JSON, was too large, asked for a format the
 * operation lacks): every request that reaches a call route leaves one line.
 */
export function auditRouteRefusal(runner: Pick<CallRunner, 'refuse'>, bodyLimitBytes: number): (req: Request, err: unknown) => void {
  return (req, err) => {
    runner.refuse(requestedCall(req), problemFor(err, req, bodyLimitBytes), performance.now());
  };
}
