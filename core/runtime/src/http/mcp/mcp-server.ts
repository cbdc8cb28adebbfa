import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type ListToolsResult } from '@modelcontextprotocol/sdk/types.js';
import type { Caller } from '../../auth/caller';
import type { CallRunner } from '../../calls/runner';
import { toPlatformError } from '../../calls/to-problem';
import type { PlatformConfig } from '../../config/schema';
import type { PluginRegistry } from '../../plugins/registry';
import { problemBody } from '../problem';
import { progressReporter, type ProgressNotification } from './progress';
import { targetOf, toolError, toolResult, toolsFor, type ToolResult } from './tools';

/** What every MCP session's server needs of the platform. */
export interface McpServerDeps {
  readonly registry: PluginRegistry;
  readonly runner: Pick<CallRunner, 'run'>;
  readonly pricing: PlatformConfig['pricing'];
  /** The platform version, reported as the server's version at `initialize`. */
  readonly version: string;
}

/** Whom one MCP session serves: the API key that opened it. */
export interface McpSessionOwner {
  readonly caller: Caller;
  readonly clientIp?: string;
}

/** What a running tool call needs of its session. */
export interface ToolCallHost {
  /** A controller the session aborts when the HTTP request carrying the call goes away. */
  track(jsonRpcId: string | number): { signal: AbortSignal; done(): void };
  /** Ends the SSE stream of a call the client cancelled (the protocol sends no answer to it). */
  cancelled(jsonRpcId: string | number): void;
}

/** The part of the SDK's handler context a tool call uses. */
interface HandlerExtra {
  readonly signal: AbortSignal;
  readonly requestId: string | number;
  sendNotification(notification: ProgressNotification): Promise<void>;
}

/** The `tools/call` parameters the platform reads. */
interface CallParams {
  readonly name: string;
  readonly arguments?: Record<string, unknown>;
  readonly _meta?: { readonly progressToken?: string | number };
}

const INSTRUCTIONS =
  'Each tool runs one operation of a plugin of the Claude Code Platform (a code review, generated docs or tests, a migration plan …) on the files you pass in its arguments, and answers with a structured result. A refused or failed call is a tool error whose text is an RFC 9457 problem document: its `detail` says what to do next.';

/**
 * One call through the platform's call pipeline, with transport `mcp`: the same lifecycle
 * admission, access rules, input validation, rate limits, concurrency, budgets, engine and
 * audit line as any other transport. Progress goes back as MCP progress notifications; a
 * cancellation (or the request's connection closing) aborts the call, which is settled at
 * what it spent; a refusal is a tool error carrying the problem.
 */
export async function callTool(deps: McpServerDeps, owner: McpSessionOwner, host: ToolCallHost, params: CallParams, extra: HandlerExtra): Promise<ToolResult> {
  const requestId = randomUUID();
  const { plugin, operation } = targetOf(deps.registry, params.name);
  const own = host.track(extra.requestId);
  try {
    const body = await deps.runner.run(
      { kind: 'operation', requestId, caller: owner.caller, clientIp: owner.clientIp, transport: 'mcp', streaming: false, plugin, operation, body: params.arguments ?? {} },
      { event: progressReporter(params._meta?.progressToken, (n) => extra.sendNotification(n), deps.pricing) },
      AbortSignal.any([extra.signal, own.signal]),
    );
    return toolResult(body, requestId);
  } catch (err) {
    if (extra.signal.aborted) host.cancelled(extra.requestId);
    return toolError(problemBody(toPlatformError(err), requestId, `/mcp#${params.name}`));
  } finally {
    own.done();
  }
}

/**
 * The MCP server of one session: `tools/list` answers with the operations the session's key
 * may use, `tools/call` runs one through {@link callTool}. The SDK's low-level `Server` is
 * used on purpose: the tools are the registry's JSON Schemas, listed per key, not zod shapes
 * registered once.
 */
export function createMcpServer(deps: McpServerDeps, owner: McpSessionOwner, host: ToolCallHost): Server {
  const server = new Server({ name: 'claude-code-platform', version: deps.version }, { capabilities: { tools: { listChanged: false } }, instructions: INSTRUCTIONS });
  // The platform's own shapes, cast once at the SDK's edge (its types are zod-inferred passthrough objects).
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolsFor(deps.registry, owner.caller) }) as unknown as ListToolsResult);
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => (await callTool(deps, owner, host, request.params as CallParams, extra as unknown as HandlerExtra)) as unknown as CallToolResult);
  return server;
}
