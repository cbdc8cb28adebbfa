import { Router, type Request, type Response } from 'express';
import type { SessionService } from '../../sessions/session-service';
import { streamCall, wantsEventStream } from '../event-stream';
import { requireJson } from '../require-json';

function callerSignal(res: Response): AbortSignal {
  const caller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) caller.abort();
  });
  return caller.signal;
}

/** `POST /v1/plugins/:id/sessions`: start a session, optionally with a first operation call. */
export function sessionStartRoute(sessions: SessionService): Router {
  const router = Router();
  router.post('/:id/sessions', requireJson({ optional: true }), async (req: Request<{ id: string }>, res: Response) => {
    const body = await sessions.create(req.caller, req.params.id, req.body, { requestId: req.id, signal: callerSignal(res), caller: req.caller, clientIp: req.ip, transport: 'http' });
    res.status(201).location(`/v1/sessions/${body.sessionId}`).json(body);
  });
  return router;
}

/** `/v1/sessions`: continue, inspect, list and delete the caller's sessions. */
export function sessionRoutes(sessions: SessionService, heartbeatMs: number): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    res.json({ sessions: await sessions.list(req.caller.name) });
  });

  router.get('/:sessionId', async (req: Request<{ sessionId: string }>, res) => {
    res.json(await sessions.get(req.caller.name, req.params.sessionId));
  });

  router.delete('/:sessionId', async (req: Request<{ sessionId: string }>, res) => {
    await sessions.delete(req.caller.name, req.params.sessionId);
    res.status(204).end();
  });

  router.post('/:sessionId/messages', requireJson(), async (req: Request<{ sessionId: string }>, res: Response) => {
    const owner = req.caller.name;
    if (wantsEventStream(req)) {
      await streamCall(req, res, heartbeatMs, (onEvent, signal) => sessions.message(owner, req.params.sessionId, req.body, { requestId: req.id, signal, onEvent, caller: req.caller, clientIp: req.ip, transport: 'sse' }));
      return;
    }
    res.json(await sessions.message(owner, req.params.sessionId, req.body, { requestId: req.id, signal: callerSignal(res), caller: req.caller, clientIp: req.ip, transport: 'http' }));
  });

  return router;
}
