import { mayUse, type Caller } from '../../auth/caller';
import type { CallResult } from '../../calls/call';
import type { PluginRegistry } from '../../plugins/registry';
import { splitToolName, toolName } from './tool-names';

/** The `_meta` key prefix of what the platform adds to a tool result. */
export const META_PREFIX = 'claude-code-platform';

/** A tool as `tools/list` describes it (the MCP `Tool` shape, without the SDK's types). */
export interface OperationTool {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly inputSchema: Record<string, unknown>;
  readonly outputSchema?: Record<string, unknown>;
  readonly annotations: { readonly readOnlyHint: boolean; readonly openWorldHint: boolean };
}

/** A tool and the operation it runs. */
export interface ToolEntry {
  readonly plugin: string;
  readonly operation: string;
  readonly tool: OperationTool;
}

/** MCP wants object schemas for a tool's input and output; an operation's schemas are objects, but a YAML plugin's may omit `type`. */
const asObject = (schema: Record<string, unknown>): Record<string, unknown> => (schema.type === 'object' ? schema : { type: 'object', ...schema });

/**
 * Every operation of every served plugin as a tool: `inputSchema` is the operation's
 * published input schema, `outputSchema` its result schema (what `structuredContent` holds),
 * both exactly as `GET /v1/plugins/{id}` publishes them. Every operation runs in a private
 * workspace and changes nothing of the caller's, hence `readOnlyHint`.
 */
export function operationTools(registry: PluginRegistry): ToolEntry[] {
  return registry.list().flatMap((plugin) =>
    [...plugin.operations.values()].map((op) => ({
      plugin: plugin.definition.id,
      operation: op.name,
      tool: {
        name: toolName(plugin.definition.id, op.name),
        title: `${plugin.definition.id}: ${op.name}`,
        description: `${op.definition.description} (plugin ${plugin.definition.id} ${plugin.definition.version}: ${plugin.definition.description})`,
        inputSchema: asObject(op.inputSchema),
        ...(op.resultSchema.type === 'object' ? { outputSchema: op.resultSchema } : {}),
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
    })),
  );
}

/** The tools a caller may use: the operations of the plugins its key allows. */
export function toolsFor(registry: PluginRegistry, caller: Caller): OperationTool[] {
  return operationTools(registry)
    .filter((t) => mayUse(caller, t.plugin))
    .map((t) => t.tool);
}

/**
 * The plugin and operation a tool name stands for. A name no served operation has is split
 * at `__` anyway, so the call pipeline refuses it as the REST call would be (404 naming the
 * plugin or the operation) and audits it.
 */
export function targetOf(registry: PluginRegistry, name: string): { plugin: string; operation: string } {
  const known = operationTools(registry).find((t) => t.tool.name === name);
  return known ? { plugin: known.plugin, operation: known.operation } : splitToolName(name);
}

/** What a tool call answers with (the MCP `CallToolResult` shape). */
export interface ToolResult {
  readonly content: { type: 'text'; text: string }[];
  readonly structuredContent?: Record<string, unknown>;
  readonly isError?: boolean;
  readonly _meta?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A successful call: the operation's result as `structuredContent` and, for clients that
 * read text only, as indented JSON; the usage, duration and request id in `_meta`.
 */
export function toolResult(body: CallResult, requestId: string): ToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(body.result, null, 2) }],
    ...(isRecord(body.result) ? { structuredContent: body.result } : {}),
    _meta: { [`${META_PREFIX}/requestId`]: requestId, [`${META_PREFIX}/usage`]: body.usage, [`${META_PREFIX}/durationMs`]: body.durationMs },
  };
}

/**
 * A refused or failed call: an MCP tool error (`isError: true`, so the model sees it and may
 * act on it) whose text is the RFC 9457 problem document, which `_meta` also carries. Not in
 * `structuredContent`: a client checks that against the tool's output schema.
 */
export function toolError(problem: Record<string, unknown>): ToolResult {
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(problem) }], _meta: { [`${META_PREFIX}/problem`]: problem } };
}
