import { z } from 'zod';
import type { Logger } from './tokens';

/**
 * The call's workspace as a defined tool sees it: read-only, and nothing outside it. Paths
 * are relative POSIX paths, as the files were submitted (`src/a.ts`).
 */
export interface WorkspaceView {
  /** Every file in the workspace (recursively), sorted. */
  list(): Promise<string[]>;
  /** A file's text; throws when it is not a file inside the workspace, or is larger than 1 MiB. */
  readFile(path: string): Promise<string>;
}

/** Everything a defined tool gets besides its input: nothing else of the runtime. */
export interface ToolContext {
  /** The workspace of the call the model is answering. */
  readonly workspace: WorkspaceView;
  /** The call's request id (the same as in its audit line and problem documents). */
  readonly requestId: string;
  /** A logger whose lines name the plugin, the tool and the request. */
  readonly logger: Logger;
  /** Fires when the call ends (cancelled, timed out, shutting down) or the tool's own timeout passes. */
  readonly signal: AbortSignal;
}

/**
 * A tool a plugin implements itself, offered to the model beside the built-in ones. The
 * runtime serves it to the `claude` process from an in-process MCP server, so the model
 * calls it as `mcp__<plugin id>__<name>`.
 */
export interface ToolDefinition<I extends z.ZodObject = z.ZodObject> {
  /** Lower-case letters, digits and `_`, starting with a letter (`dependency_versions`). */
  readonly name: string;
  /** What the model reads to decide when to call it. */
  readonly description: string;
  /** The arguments, validated before `run` sees them (the model is told the schema). */
  readonly input: I;
  /** How long one call may take (10 s when absent); past it the model gets a tool error. */
  readonly timeoutMs?: number;
  /**
   * Runs one call. A string answers as it is, anything else as JSON. A throw becomes a tool
   * error the model sees (its message, never a stack), not a failed call.
   */
  run(input: z.output<I>, ctx: ToolContext): Promise<unknown>;
}

/** The pattern a defined tool's name must match. */
export const DEFINED_TOOL_NAME = /^[a-z][a-z0-9_]{0,39}$/;

/** The per-call time limit of a tool that names none. */
export const DEFAULT_TOOL_TIMEOUT_MS = 10_000;

/** The name the model sees for a plugin's defined tool (Claude Code's MCP naming, the plugin id as the server). */
export function definedToolName(pluginId: string, tool: string): string {
  return `mcp__${pluginId}__${tool}`;
}

/** Declares a tool of a plugin, with its input type inferred for `run`. */
export function defineTool<I extends z.ZodObject>(tool: ToolDefinition<I>): ToolDefinition {
  return tool as unknown as ToolDefinition;
}

/** The shape a defined tool must have (checked with the plugin). */
export const toolShape = z.strictObject({
  name: z.string().regex(DEFINED_TOOL_NAME, 'must be lower-case letters, digits and _, starting with a letter, at most 40 long (e.g. dependency_versions)'),
  description: z.string().min(1),
  input: z.custom<z.ZodObject>((v) => typeof v === 'object' && v !== null && '_zod' in v && (v as { _zod: { def?: { type?: string } } })._zod.def?.type === 'object', 'must be a zod object schema (z.object or z.strictObject)'),
  timeoutMs: z.number().int().positive().max(600_000).optional(),
  run: z.custom<(i: unknown, c: unknown) => Promise<unknown>>((v) => typeof v === 'function', 'must be a function'),
});
