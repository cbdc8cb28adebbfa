import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { InputError, NotAllowedError, type Logger } from '@ccp/plugin-api';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import type { Authenticator } from '../auth/api-keys';
import type { Caller } from '../auth/caller';
import type { CallResult, CallSink } from '../calls/call';
import type { CallRunner } from '../calls/runner';
import type { Limit } from '../limits/limit';
import { toPlatformError } from '../calls/to-problem';
import type { ClaudeEvent } from '../engine/types';
import type { SessionService } from '../sessions/session-service';
import { publicEvent } from './event-stream';
import { route, type Route } from './api/route';
import { problemSchema, usageSchema } from './api/schemas';
import { problemBody } from './problem';

/** The WebSocket endpoint's path. */
export const WS_PATH = '/v1/ws';

const id = z.string().min(1).max(100);
/** What a client sends on the socket. */
export const clientMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('invoke'), id: id.optional(), plugin: z.string(), operation: z.string(), input: z.unknown() }),
  z.strictObject({ type: z.literal('message'), id: id.optional(), sessionId: z.string(), text: z.unknown() }),
  z.strictObject({ type: z.literal('cancel'), id }),
]);

/** What the server sends: the SSE events of a call, each with the call's id. */
export const serverEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), id: z.string(), requestId: z.string(), sessionId: z.string().nullable() }),
  z.object({ type: z.literal('text'), id: z.string(), text: z.string() }),
  z.object({ type: z.literal('tool'), id: z.string(), name: z.string(), summary: z.string() }),
  z.object({ type: z.literal('result'), id: z.string(), result: z.unknown(), usage: usageSchema, durationMs: z.number().int(), sessionId: z.string() }),
  z.object({ type: z.literal('error'), id: z.string().nullable(), problem: problemSchema }),
]);

/** The WebSocket endpoint as the OpenAPI document describes it (the upgrade itself is the server's). */
export function webSocketRoute(): Route {
  return route({
    method: 'get',
    path: WS_PATH,
    documentOnly: true,
    operationId: 'webSocket',
    summary: 'A WebSocket carrying many calls at once (HTTP upgrade)',
    description: 'Upgrade with `Authorization: Bearer <key>`. Send WsClientMessage objects as text frames; every event back is a WsServerEvent with the call id. Closing the socket ends every call on it. A browser may connect only from an origin in cors.origins. Each upgrade counts as one request against the key\'s request rate (429 with Retry-After over it), and each call on the socket counts as its own.',
    tags: ['websocket'],
    responses: { 101: { description: 'Switching Protocols: the socket is open' } },
    problems: [401, 403, 429],
    handlers: [],
  });
}

/** What the WebSocket endpoint needs. */
export interface WebSocketDeps {
  readonly runner: CallRunner;
  readonly sessions: SessionService;
  readonly authenticator: Authenticator;
  /** Browser origins allowed to open a socket (cors.origins). */
  readonly allowedOrigins: readonly string[];
  readonly logger: Logger;
  readonly maxMessageBytes: number;
  /** The per-key request rate: each upgrade counts as one request, so sockets cannot be opened endlessly. */
  readonly upgradeRate?: Limit;
}

/**
 * `GET /v1/ws`: one socket carries many calls at once. A client sends
 * `{ type: 'invoke', id, plugin, operation, input }`, `{ type: 'message', id, sessionId, text }`
 * or `{ type: 'cancel', id }`; every event it gets back carries the call's `id` and has the
 * same shape as the SSE events (`start`, `text`, `tool`, then one `result` or `error`).
 * Closing the socket ends every call on it.
 */
export function webSocketEndpoint(deps: WebSocketDeps): { wss: WebSocketServer; upgrade: UpgradeHandler } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: deps.maxMessageBytes });
  const upgrade: UpgradeHandler = (req, socket, head) => {
    // Node drops its own error listener on upgraded sockets: a client that resets the
    // connection while we answer must not become an unhandled 'error' that ends the process.
    socket.on('error', () => socket.destroy());
    if ((req.url ?? '').split('?')[0] !== WS_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    void admit(req, deps).then(
      () => wss.handleUpgrade(req, socket, head, (ws) => serve(ws, req, deps)),
      (err: unknown) => refuseUpgrade(socket, err),
    );
  };
  return { wss, upgrade };
}

/**
 * The caller of an upgrade, or its refusal: an origin the operator did not allow (403), no
 * valid key (401), or one upgrade too many for the key's request rate (429).
 */
async function admit(req: IncomingMessage, deps: WebSocketDeps): Promise<Caller> {
  // Browsers send Origin on a WebSocket handshake and ignore CORS for it: a page may
  // open a socket only from an origin the operator allowed (cors.origins).
  const origin = req.headers.origin;
  if (origin && !deps.allowedOrigins.includes('*') && !deps.allowedOrigins.includes(origin)) {
    throw new NotAllowedError('forbidden', `WebSocket connections from origin ${origin} are not allowed (cors.origins).`);
  }
  const caller = deps.authenticator.authenticate(req.headers);
  await deps.upgradeRate?.take({ caller, clientIp: req.socket.remoteAddress, plugin: '' });
  return caller;
}

/** Answers a refused upgrade with its problem document and closes the connection. */
function refuseUpgrade(socket: Duplex, err: unknown): void {
  const problem = toPlatformError(err);
  const body = JSON.stringify(problemBody(problem, 'ws-upgrade', WS_PATH));
  const challenge = (err as { challenge?: string }).challenge;
  const retryAfter = problem.extras.retryAfterSeconds;
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: application/problem+json\r\n${challenge ? `WWW-Authenticate: ${challenge}\r\n` : ''}${retryAfter !== undefined ? `Retry-After: ${retryAfter}\r\n` : ''}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** What an HTTP server's 'upgrade' event calls. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

function serve(ws: WebSocket, req: IncomingMessage, deps: WebSocketDeps): void {
  const ip = req.socket.remoteAddress;
  const calls = new Map<string, AbortController>();
  const send = (payload: Record<string, unknown>) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(payload));
  };

  ws.on('message', (raw) => {
    // The key is checked again for every message, as every HTTP request is: a key revoked or
    // expired since the upgrade ends the socket (its running calls with it), and a key
    // changed since (roles, plugins, limits) applies to the next call.
    let caller: Caller;
    try {
      caller = deps.authenticator.authenticate(req.headers);
    } catch (err) {
      // The socket's calls end now, not when the client acknowledges the close.
      for (const controller of calls.values()) controller.abort(err);
      send({ type: 'error', id: null, problem: problemBody(toPlatformError(err), 'ws') });
      ws.close(1008, 'the API key is no longer valid');
      return;
    }
    let parsed: z.infer<typeof clientMessage>;
    try {
      parsed = clientMessage.parse(JSON.parse(String(raw)));
    } catch {
      const problem = new InputError('invalid_input', 'Send JSON: { type: "invoke", id, plugin, operation, input }, { type: "message", id, sessionId, text } or { type: "cancel", id }.');
      send({ type: 'error', id: null, problem: problemBody(problem, 'ws') });
      return;
    }
    if (parsed.type === 'cancel') {
      calls.get(parsed.id)?.abort();
      return;
    }
    const callId = parsed.id ?? randomUUID();
    const requestId = randomUUID();
    if (calls.has(callId)) {
      const problem = new InputError('invalid_input', `Call id "${callId}" is still running on this socket; use a new id for each call.`, { errors: [{ field: 'id', message: 'already in flight' }] });
      send({ type: 'error', id: callId, problem: problemBody(problem, requestId) });
      return;
    }
    const controller = new AbortController();
    calls.set(callId, controller);
    let started = false;
    const sink: CallSink = {
      event: (event: ClaudeEvent) => {
        if (event.type === 'start' && !started) {
          started = true;
          send({ type: 'start', id: callId, requestId, sessionId: event.sessionId });
        }
        const out = publicEvent(event);
        if (out) send({ type: out.type, id: callId, ...out.data });
      },
    };
    const origin = { requestId, caller, clientIp: ip, transport: 'ws' as const, streaming: true };
    const message = parsed;
    // Every call enters through the call runner: the lifecycle refuses it while draining,
    // the rate-limit stage counts it in the same buckets as HTTP requests, audit records it.
    const run = (): Promise<CallResult> =>
      message.type === 'invoke'
        ? deps.runner.run({ kind: 'operation', ...origin, plugin: message.plugin, operation: message.operation, body: message.input }, sink, controller.signal)
        : deps.sessions.message(origin, message.sessionId, { text: message.text }, sink, controller.signal);
    run()
      .then((body) => send({ type: 'result', id: callId, ...body }))
      .catch((err: unknown) => send({ type: 'error', id: callId, problem: problemBody(toPlatformError(err), requestId) }))
      .finally(() => calls.delete(callId));
  });

  ws.on('close', () => {
    for (const controller of calls.values()) controller.abort();
  });
  ws.on('error', (err) => deps.logger.debug({ err: err.message }, 'websocket error'));
}
