import { DEFAULT_TOOL_TIMEOUT_MS, definedToolName, type Logger, type ToolDefinition } from '@ccp/plugin-api';
import type { McpServerConfig } from '@anthropic-ai/claude-agent-sdk';
import type { ClaudeRequest } from '../../types';
import type { SdkMcp, SdkToolResult } from '../sdk';
import { workspaceView } from './workspace-view';

/** How one call of a defined tool ended. */
export type DefinedToolOutcome = 'success' | 'error' | 'timeout' | 'invalid_input' | 'aborted';

/** One call of a defined tool, as audit and metrics record it: never its arguments or its answer. */
export interface DefinedToolCall {
  readonly requestId: string;
  readonly key?: string;
  readonly plugin: string;
  readonly operation: string;
  /** The tool's own name (`dependency_versions`). */
  readonly tool: string;
  readonly outcome: DefinedToolOutcome;
  readonly durationMs: number;
}

/** Where each defined tool call is reported (the composition root writes its audit record and counts it). */
export type DefinedToolObserver = (call: DefinedToolCall) => void;

class ToolTimeout extends Error {}

const text = (value: unknown): string => (typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null'));
const failure = (message: string): SdkToolResult => ({ isError: true, content: [{ type: 'text', text: message }] });

/** Resolves when `signal` aborts; never rejects (the caller decides what the abort means). */
const onAbort = (signal: AbortSignal) => new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));

/**
 * Runs one call of a defined tool: its arguments checked with its own schema, a context
 * holding only the read-only workspace view, the request id, a logger and an abort signal
 * (the call's, or the tool's timeout), then its answer as text. Whatever goes wrong (bad
 * arguments, a throw, the timeout) becomes a tool error the model reads, never a failed call.
 */
export async function runDefinedTool(tool: ToolDefinition, args: unknown, ctx: { request: ClaudeRequest; dir: string; signal: AbortSignal; logger: Logger; observe?: DefinedToolObserver }): Promise<SdkToolResult> {
  const started = performance.now();
  const timeoutMs = tool.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  const own = new AbortController();
  const timer = setTimeout(() => own.abort(new ToolTimeout()), timeoutMs);
  const signal = AbortSignal.any([ctx.signal, own.signal]);
  let outcome: DefinedToolOutcome = 'success';
  try {
    const parsed = tool.input.safeParse(args);
    if (!parsed.success) {
      outcome = 'invalid_input';
      return failure(`${tool.name}: the arguments do not match its input schema: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`);
    }
    const logger = ctx.logger.child({ plugin: ctx.request.pluginId, tool: tool.name, requestId: ctx.request.requestId });
    const run = tool.run(parsed.data, { workspace: workspaceView(ctx.dir), requestId: ctx.request.requestId, logger, signal });
    const value = await Promise.race([run, onAbort(signal).then(() => Promise.reject(signal.reason))]);
    return { content: [{ type: 'text', text: text(value) }] };
  } catch (err) {
    if (own.signal.aborted) {
      outcome = 'timeout';
      return failure(`${tool.name} did not answer within ${timeoutMs} ms.`);
    }
    if (ctx.signal.aborted) {
      outcome = 'aborted';
      return failure(`${tool.name} was stopped: the call ended.`);
    }
    outcome = 'error';
    // Its message only: a stack names the platform's files.
    return failure(`${tool.name} failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    clearTimeout(timer);
    ctx.observe?.({ requestId: ctx.request.requestId, ...(ctx.request.caller ? { key: ctx.request.caller } : {}), plugin: ctx.request.pluginId, operation: ctx.request.operation, tool: tool.name, outcome, durationMs: Math.round(performance.now() - started) });
  }
}

/** The names the model sees for a request's defined tools (`mcp__<plugin>__<tool>`). */
export function definedToolNames(request: Pick<ClaudeRequest, 'pluginId' | 'tools'>): string[] {
  return (request.tools.define ?? []).map((t) => definedToolName(request.pluginId, t.name));
}

/**
 * The `mcpServers` option for a request whose plugin defines tools: one in-process MCP
 * server (the SDK's `createSdkMcpServer`) named after the plugin, holding exactly those
 * tools, each bound to this query's workspace and signal. Undefined when it defines none.
 */
export function definedToolServers(sdk: SdkMcp | undefined, request: ClaudeRequest, dir: string, signal: AbortSignal, logger: Logger, observe?: DefinedToolObserver): Record<string, McpServerConfig> | undefined {
  const tools = request.tools.define ?? [];
  if (tools.length === 0) return undefined;
  if (!sdk) throw new Error(`plugin ${request.pluginId} defines tools, but the Agent SDK's in-process MCP server is not available`);
  const server = sdk.createSdkMcpServer({
    name: request.pluginId,
    version: '1.0.0',
    // In the first turn's tool list, never deferred behind tool search: the model sees exactly the declared set.
    alwaysLoad: true,
    tools: tools.map((tool) => sdk.tool(tool.name, tool.description, tool.input.shape, (args) => runDefinedTool(tool, args, { request, dir, signal, logger, observe }))),
  });
  return { [request.pluginId]: server };
}
