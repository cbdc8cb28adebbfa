import type { Request, Response } from 'express';
import { InputError, NotAllowedError } from '@ccp/plugin-api';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { route, type Route } from '../api/route';
import type { McpSessions } from './mcp-sessions';

/** Where the platform serves MCP (Streamable HTTP). */
export const MCP_PATH = '/mcp';

type Message = { readonly method?: unknown; readonly id?: unknown };
const messagesOf = (body: unknown): Message[] => (Array.isArray(body) ? body : typeof body === 'object' && body !== null ? [body] : []) as Message[];

/**
 * The protocol revisions served: the newest the SDK knows and the one before it (the SDK
 * lists its revisions newest first). A client asking for an older one is offered the newest,
 * as the protocol's version negotiation says; it may then go away.
 */
export const SERVED_PROTOCOL_VERSIONS: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS.slice(0, 2);

/** An initialize asking for a revision not served asks for the newest instead (what the server then answers with). */
function negotiate(body: unknown): void {
  for (const m of messagesOf(body) as { method?: unknown; params?: { protocolVersion?: unknown } }[]) {
    if (m.method === 'initialize' && m.params && !SERVED_PROTOCOL_VERSIONS.includes(String(m.params.protocolVersion))) m.params.protocolVersion = LATEST_PROTOCOL_VERSION;
  }
}

/** Whether a POST body holds a `tools/call` request: a call, counted by the call pipeline (so the route's own limit lets it pass). */
export const holdsToolCall = (body: unknown): boolean => messagesOf(body).some((m) => m.method === 'tools/call');
const isInitialize = (body: unknown): boolean => messagesOf(body).some((m) => m.method === 'initialize');
/** The JSON-RPC ids of the requests in a POST body. */
const requestIds = (body: unknown): (string | number)[] => messagesOf(body).flatMap((m) => (typeof m.method === 'string' && (typeof m.id === 'string' || typeof m.id === 'number') ? [m.id] : []));

const jsonRpcMessage = z.record(z.string(), z.unknown()).meta({ id: 'JsonRpcMessage', description: 'A JSON-RPC 2.0 message of the Model Context Protocol (initialize, tools/list, tools/call, notifications …)' });

const DESCRIPTION =
  'The platform as an MCP server (Streamable HTTP, in session mode). Every operation this key may use is a tool named `<plugin>__<operation>` (e.g. `code-review__review`), with the operation\'s input schema as `inputSchema` and its result schema as `outputSchema`; a call answers with the result as `structuredContent` (and as JSON text). Start with `initialize` (no `Mcp-Session-Id`), then send the `Mcp-Session-Id` it answered with on every request. `Accept: application/json, text/event-stream` is required. A refused call is a tool error (`isError: true`) whose text is the RFC 9457 problem document. `claude mcp add --transport http ccp <base>/mcp --header "Authorization: Bearer $CCP_KEY"` adds it to Claude Code.';

/**
 * `POST|GET|DELETE /mcp`: the MCP endpoint, behind the same API-key authentication and
 * per-key rate limit as every /v1 route. A request without `Mcp-Session-Id` must be an
 * `initialize`, which opens a session for the key; every other request names its session.
 * If the connection of a POST closes before its answers were sent, the tool calls it
 * carried are aborted (as a `notifications/cancelled` would). A browser's request is
 * refused unless its Origin is in `cors.origins`.
 */
export function mcpRoutes(sessions: McpSessions, allowedOrigins: readonly string[]): Route[] {
  const serve = async (req: Request, res: Response) => {
    // The MCP specification asks servers to check Origin (DNS rebinding): a browser page may
    // reach /mcp only from an origin the operator allowed (cors.origins), as with /v1/ws.
    const origin = req.get('origin');
    if (origin && !allowedOrigins.includes('*') && !allowedOrigins.includes(origin)) throw new NotAllowedError('forbidden', `MCP requests from origin ${origin} are not allowed (cors.origins).`);
    const id = req.get('mcp-session-id');
    if (id) {
      const session = sessions.find(id, req.caller);
      const ids = requestIds(req.body);
      if (ids.length > 0) res.once('close', () => !res.writableFinished && session.abort(ids));
      await session.transport.handleRequest(req, res, req.body);
      return;
    }
    if (req.method !== 'POST' || !isInitialize(req.body)) {
      throw new InputError('invalid_input', 'This request names no MCP session. Open one with an initialize request (POST /mcp without Mcp-Session-Id), then send the Mcp-Session-Id it answers with on every later request.', { errors: [{ field: 'Mcp-Session-Id', message: 'required after initialize' }] });
    }
    negotiate(req.body);
    const transport = await sessions.start(req.caller, req.ip);
    try {
      await transport.handleRequest(req, res, req.body);
    } finally {
      await sessions.settle(transport);
    }
  };
  const common = { tags: ['mcp'], description: DESCRIPTION, handlers: [serve] } as const;
  return [
    route({
      ...common,
      method: 'post',
      path: MCP_PATH,
      operationId: 'mcpPost',
      summary: 'Send MCP messages (initialize, tools/list, tools/call, notifications)',
      // Only a tool call that reaches the pipeline is counted there; one naming no session of the
      // key is refused before it, so the route's own per-key limit counts it (a flood of them is limited).
      countedAsCall: (req) => holdsToolCall(req.body) && sessions.owns(req.get('mcp-session-id'), req.caller),
      // A tool call's refusals are tool errors the pipeline audits itself; the HTTP request is not a call.
      auditedAsCall: () => false,
      requestHeaders: { 'Mcp-Session-Id': { description: 'The session, from the answer to initialize (absent on initialize)' }, 'Mcp-Protocol-Version': { description: 'The negotiated protocol version (after initialize)' } },
      body: { schema: jsonRpcMessage, required: true, example: { jsonrpc: '2.0', id: 1, method: 'tools/list' } },
      responses: {
        200: { description: 'The answers, as Server-Sent Events (progress notifications, then the response)', other: { mediaType: 'text/event-stream', schema: z.string() }, headers: { 'Mcp-Session-Id': 'The session (on the answer to initialize)' } },
        202: { description: 'Notifications or responses only: accepted' },
      },
      problems: [403, 404],
    }),
    route({ ...common, method: 'get', path: MCP_PATH, operationId: 'mcpStream', summary: 'Open the session\'s stream of server messages (SSE)', requestHeaders: { 'Mcp-Session-Id': { description: 'The session' } }, responses: { 200: { description: 'Server-Sent Events', other: { mediaType: 'text/event-stream', schema: z.string() } } }, problems: [404] }),
    route({ ...common, method: 'delete', path: MCP_PATH, operationId: 'mcpClose', summary: 'End an MCP session', requestHeaders: { 'Mcp-Session-Id': { description: 'The session' } }, responses: { 200: { description: 'The session is closed' } }, problems: [404] }),
  ];
}
