import type { ToolDefinition } from './define-tool';

/**
 * Built-in Claude Code tools a plugin may declare. The list is closed on purpose:
 * a plugin names exactly the tools the model sees and everything else is removed.
 */
export const BUILTIN_TOOLS = [
  'Read',
  'Grep',
  'Glob',
  'Write',
  'Edit',
  'MultiEdit',
  'NotebookEdit',
  'Bash',
  'WebFetch',
  'WebSearch',
  'TodoWrite',
] as const;

/** A built-in tool name. */
export type BuiltinTool = (typeof BUILTIN_TOOLS)[number];

/** Tools that change files; a plugin holding one gets the files it wrote back. */
export const WRITE_TOOLS: readonly BuiltinTool[] = ['Write', 'Edit', 'MultiEdit', 'NotebookEdit'];

/**
 * Tools that run programs. A process that offers one is never kept between calls: a
 * program it started (in the background, or detached) could outlive the call and see the
 * next one's files.
 */
export const EXEC_TOOLS: readonly BuiltinTool[] = ['Bash'];

/** Tools that only read. Plugins that declare nothing else are cacheable and safe by construction. */
export const READ_ONLY_TOOLS: readonly BuiltinTool[] = ['Read', 'Grep', 'Glob'];

/**
 * Permission modes a plugin may run under. `bypassPermissions` and `auto` are
 * deliberately absent: a server-side agent must never approve its own tool calls.
 *
 * - `dontAsk`: only what the mode allows by itself (reads inside the workspace) runs; anything that would prompt is denied.
 * - `acceptEdits`: as `dontAsk`, plus file edits inside the workspace.
 * - `plan`: the model may look but not act.
 */
export const PERMISSION_MODES = ['dontAsk', 'acceptEdits', 'plan'] as const;

/** A permission mode from {@link PERMISSION_MODES}. */
export type PermissionMode = (typeof PERMISSION_MODES)[number];

/**
 * What the model may use: the built-in tools in `allow` and the plugin's own tools in
 * `define` (see `defineTool`), exactly these; everything else is removed from its context.
 */
export interface ToolPolicy {
  readonly allow: readonly BuiltinTool[];
  readonly mode: PermissionMode;
  /** Tools the plugin implements; the model sees each as `mcp__<plugin id>__<name>`. Read-only by construction. */
  readonly define?: readonly ToolDefinition[];
}
