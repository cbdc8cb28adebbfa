import type { CanUseTool } from '@anthropic-ai/claude-agent-sdk';
import { isInside } from './workspace';

/** Input fields through which built-in tools name a file or directory. */
const PATH_FIELDS = ['file_path', 'path', 'notebook_path'] as const;

/**
 * The last word on any tool call the permission mode did not settle by itself: allowed
 * only for a declared tool whose every path lies inside the query's workspace. In
 * `dontAsk` mode the CLI never asks; in `acceptEdits` mode it asks about any edit
 * outside the working directory, and this denies it.
 */
export function workspaceGuard(workspace: string, allowed: readonly string[]): CanUseTool {
  const tools = new Set(allowed);
  return async (toolName, input) => {
    if (!tools.has(toolName)) {
      return { behavior: 'deny', message: `${toolName} is not among this plugin's tools.` };
    }
    for (const field of PATH_FIELDS) {
      const value = input[field];
      if (typeof value === 'string' && !isInside(workspace, value)) {
        return { behavior: 'deny', message: `${toolName} may only touch files inside the workspace; ${field} points outside it.` };
      }
    }
    return { behavior: 'allow', updatedInput: input };
  };
}
