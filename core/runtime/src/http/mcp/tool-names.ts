import { createHash } from 'node:crypto';

/** The longest tool name: what MCP clients and the Messages API's tool names allow. */
export const TOOL_NAME_MAX = 64;

/** Between the plugin id and the operation; neither can hold `_` (both are kebab-case), so it splits back unambiguously. */
export const TOOL_NAME_SEPARATOR = '__';

/** What a tool name is made of: letters, digits, `_` and `-` only (MCP's and the Messages API's common ground). */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * The MCP tool name of a plugin operation: `<plugin>__<operation>` (`code-review__review`).
 * Plugin ids and operation names are kebab-case (`[a-z0-9-]`), so the name needs no escaping
 * and Claude Code's `mcp__<server>__<tool>` still reads back to one operation. A name longer
 * than 64 characters keeps its first 55 and ends with `_` and 8 hex digits of its SHA-256,
 * so it stays unique and stable across restarts.
 */
export function toolName(plugin: string, operation: string): string {
  const full = `${plugin}${TOOL_NAME_SEPARATOR}${operation}`;
  if (full.length <= TOOL_NAME_MAX) return full;
  const digest = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, TOOL_NAME_MAX - 9)}_${digest}`;
}

/** The plugin and operation a name that is not a known tool would name (so the call is refused as a REST call naming them would be). */
export function splitToolName(name: string): { plugin: string; operation: string } {
  const at = name.indexOf(TOOL_NAME_SEPARATOR);
  if (at < 0) return { plugin: name, operation: '' };
  return { plugin: name.slice(0, at), operation: name.slice(at + TOOL_NAME_SEPARATOR.length) };
}
