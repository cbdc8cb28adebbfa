import type { Request, Response } from 'express';
import { z } from 'zod';
import { messageBody } from '../../calls/plan';
import { createBody, type CallOrigin, type SessionService } from '../../sessions/session-service';
import { route, type Route } from '../api/route';
import { callEvents, callResultSchema, sessionTurnSchema, sessionViewSchema } from '../api/schemas';
import { callerSignal } from '../caller-signal';
import { streamCall, wantsEventStream } from '../event-stream';
import { requireJson } from '../require-json';

function origin(req: Request, streaming: boolean): CallOrigin {
  return { requestId: req.id, caller: req.caller, clientIp: req.ip, transport: streaming ? 'sse' : 'http', streaming };
}

const hasInput = (req: Request) => typeof req.body === 'object' && req.body !== null && 'input' in req.body;
const sessionId = { sessionId: 'The session id, from the Location of the session start' };

/** Sessions: start (optionally with a first operation call), continue, inspect, list, delete. */
export function sessionRoutes(sessions: SessionService, heartbeatMs: number): Route[] {
  return [
    route({
      method: 'post',
      path: '/v1/plugins/:id/sessions',
      operationId: 'startSession',
      summary: 'Start a session with a plugin, optionally answering a first operation call',
      description: 'With `input` the first turn is run at once and its answer is in the body; without it the session is only created. `operation` may be left out when the plugin has one.',
      tags: ['sessions'],
      params: { id: 'The plugin id' },
      countedAsCall: hasInput,
      body: { schema: createBody, required: false, example: { operation: 'review', input: { files: [{ path: 'a.ts', content: 'export const a = 1;\n' }] } } },
      responses: {
        201: {
          description: 'The session (and the first answer, when `input` was given)',
          json: callResultSchema().partial().extend({ sessionId: z.string() }),
          headers: { Location: '/v1/sessions/{sessionId}' },
        },
      },
      problems: [400, 402, 403, 404, 413, 415, 502, 504],
      handlers: [
        requireJson({ optional: true }),
        (async (req: Request<{ id: string }>, res: Response) => {
          const body = await sessions.create(origin(req, false), req.params.id, req.body, {}, callerSignal(res));
          res.status(201).location(`/v1/sessions/${body.sessionId}`).json(body);
        }) as never,
      ],
    }),
    route({
      method: 'get',
      path: '/v1/sessions',
      operationId: 'listSessions',
      summary: "The caller's open sessions, most recently active first",
      tags: ['sessions'],
      responses: { 200: { description: 'The sessions', json: z.object({ sessions: z.array(sessionViewSchema) }) } },
      handlers: [async (req, res) => void res.json({ sessions: await sessions.list(req.caller.name) })],
    }),
    route({
      method: 'get',
      path: '/v1/sessions/:sessionId',
      operationId: 'getSession',
      summary: 'A session: its plugin, turns, usage so far and expiry',
      tags: ['sessions'],
      params: sessionId,
      responses: { 200: { description: 'The session', json: sessionViewSchema } },
      problems: [404],
      handlers: [async (req, res) => void res.json(await sessions.get(req.caller.name, String(req.params.sessionId)))],
    }),
    route({
      method: 'get',
      path: '/v1/sessions/:sessionId/turns',
      operationId: 'listSessionTurns',
      summary: "A session's answered turns, oldest first: what was asked and the answer",
      description: 'Kept with the session on the platform (in Redis with REDIS_URL, so any replica answers) and dropped with it. A turn that failed is not in the log.',
      tags: ['sessions'],
      params: sessionId,
      responses: { 200: { description: 'The turns', json: z.object({ sessionId: z.string(), turns: z.array(sessionTurnSchema) }) } },
      problems: [404],
      handlers: [
        async (req, res) => {
          const id = String(req.params.sessionId);
          res.json({ sessionId: id, turns: await sessions.turns(req.caller.name, id) });
        },
      ],
    }),
    route({
      method: 'delete',
      path: '/v1/sessions/:sessionId',
      operationId: 'deleteSession',
      summary: 'End a session and drop its transcript',
      tags: ['sessions'],
      params: sessionId,
      responses: { 204: { description: 'Deleted' } },
      problems: [404, 409],
      handlers: [
        async (req, res) => {
          await sessions.delete(req.caller.name, String(req.params.sessionId));
          res.status(204).end();
        },
      ],
    }),
    route({
      method: 'post',
      path: '/v1/sessions/:sessionId/messages',
      operationId: 'sendMessage',
      summary: 'Continue a session with a message; the answer is `{ text }`',
      description: 'One message at a time per session (409 session_busy otherwise). Send `Accept: text/event-stream` to stream the answer.',
      tags: ['sessions'],
      params: sessionId,
      countedAsCall: () => true,
      body: { schema: messageBody, required: true, example: { text: 'Why is line 1 a problem?' } },
      responses: {
        200: {
          description: 'The answer (JSON), or the turn as Server-Sent Events',
          json: callResultSchema(z.object({ text: z.string() })),
          events: { ...callEvents, result: callResultSchema(z.object({ text: z.string() })) },
        },
      },
      problems: [400, 402, 403, 404, 409, 413, 415, 502, 504],
      handlers: [
        requireJson(),
        (async (req: Request<{ sessionId: string }>, res: Response) => {
          if (wantsEventStream(req)) {
            await streamCall(req, res, heartbeatMs, (sink, signal) => sessions.message(origin(req, true), req.params.sessionId, req.body, sink, signal));
            return;
          }
          res.json(await sessions.message(origin(req, false), req.params.sessionId, req.body, {}, callerSignal(res)));
        }) as never,
      ],
    }),
  ];
}
