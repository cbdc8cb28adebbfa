import type { Request, Response } from 'express';
import type { CallResult, CallSink } from '../calls/call';
import type { ClaudeEvent } from '../engine/types';
import { toPlatformError } from '../calls/to-problem';
import { problemBody } from './problem';

/** True when the caller asked for Server-Sent Events. */
export function wantsEventStream(req: Request): boolean {
  return (req.get('accept') ?? '').includes('text/event-stream');
}

/** The platform event a client sees for a Claude event; `undefined` for none. */
export function publicEvent(event: ClaudeEvent): { type: string; data: Record<string, unknown> } | undefined {
  if (event.type === 'text') return { type: 'text', data: { text: event.text } };
  if (event.type === 'tool') return { type: 'tool', data: { name: event.name, summary: event.summary } };
  return undefined;
}

/**
 * Streams one call as Server-Sent Events: `start`, then `text` and `tool` events as they
 * happen, then exactly one `result` (the same body as the JSON response) or `error` (a
 * problem). A comment line every `heartbeatMs` keeps proxies from closing an idle stream.
 * The stream opens with the first event: a refusal before it (bad input, a limit, a busy
 * session, a full queue) is still a plain HTTP problem with its own status code.
 */
export async function streamCall(
  req: Request,
  res: Response,
  heartbeatMs: number,
  run: (sink: CallSink, signal: AbortSignal) => Promise<CallResult>,
): Promise<void> {
  const caller = new AbortController();
  res.once('close', () => caller.abort());
  let heartbeat: NodeJS.Timeout | undefined;
  const open = () => {
    if (res.headersSent) return;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    heartbeat = setInterval(() => !res.writableEnded && res.write(': keep-alive\n\n'), heartbeatMs);
  };
  const send = (type: string, data: unknown) => {
    open();
    if (!res.writableEnded && !res.destroyed) res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  let started = false;
  try {
    const body = await run(
      {
        event: (event) => {
          if (event.type === 'start' && !started) {
            started = true;
            send('start', { requestId: req.id, sessionId: event.sessionId });
          }
          const out = publicEvent(event);
          if (out) send(out.type, out.data);
        },
      },
      caller.signal,
    );
    if (!started) send('start', { requestId: req.id, sessionId: body.sessionId });
    send('result', body);
  } catch (err) {
    if (!res.headersSent) throw err; // not streaming yet: the error middleware answers with the right status
    if (!started) send('start', { requestId: req.id, sessionId: null });
    send('error', problemBody(toPlatformError(err), req.id, req.originalUrl.split('?')[0]));
  } finally {
    clearInterval(heartbeat);
    if (res.headersSent) res.end();
  }
}
