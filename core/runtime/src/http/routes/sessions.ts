import { Router, type Request, type Response } from 'express';
import type { CallOrigin, SessionService } from '../../sessions/session-service';
import { callerSignal } from '../caller-signal';
import { streamCall, wantsEventStream } from '../event-stream';
import { requireJson } from '../require-json';

function origin(req: Request, streaming: boolean): CallOrigin {
  return { requestId: req.id, caller: req.caller, clientIp: req.ip, transport: streaming ? 'sse' : 'http', streaming };
}

/** `POST /v1/plugins/:id/sessions`: start a session, optionally with a first operation call. */
export function sessionStartRoute(sessions: SessionService): Router {
  const router = Router();
  router.post('/:id/sessions', requireJson({ optional: true }), async (req: Request<{ id: string }>, res: Response) => {
    const body = await sessions.create(origin(req, false), req.params.id, req.body, {}, callerSignal(res));
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
    if (wantsEventStream(req)) {
      await streamCall(req, res, heartbeatMs, (sink, signal) => sessions.message(origin(req, true), req.params.sessionId, req.body, sink, signal));
      return;
    }
    res.json(await sessions.message(origin(req, false), req.params.sessionId, req.body, {}, callerSignal(res)));
  });

  return router;
}
