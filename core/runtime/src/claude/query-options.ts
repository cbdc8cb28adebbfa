import { BUILTIN_TOOLS, type ClaudeRequest } from '@ccp/plugin-api';
import type { Options } from '@anthropic-ai/claude-agent-sdk';
import { workspaceGuard } from './permission-guard';

/** Tools that are never offered, whatever a plugin declares: subagents and in-process helpers. */
const ALWAYS_DENIED = ['Task', 'Agent', 'Skill', 'SlashCommand', 'KillShell', 'BashOutput'];

/** Host-level settings the runtime adds to every query. */
export interface QueryHost {
  readonly cwd: string;
  readonly env: Record<string, string>;
  readonly abortController: AbortController;
  readonly executable?: string;
  readonly spawnClaudeCodeProcess?: Options['spawnClaudeCodeProcess'];
}

/**
 * Builds the SDK options for one query from the request (which the runtime built from
 * the plugin's declaration and the operator's config) and the host settings. There is
 * no other input: a request body cannot reach tools, permissions or settings.
 */
export function buildQueryOptions(request: ClaudeRequest, host: QueryHost): Options {
  const allowed = new Set<string>(request.tools.allow);
  return {
    cwd: host.cwd,
    env: host.env,
    abortController: host.abortController,
    systemPrompt: request.systemPrompt,
    tools: [...request.tools.allow],
    disallowedTools: [...BUILTIN_TOOLS.filter((t) => !allowed.has(t)), ...ALWAYS_DENIED],
    allowedTools: [],
    permissionMode: request.tools.mode,
    canUseTool: workspaceGuard(host.cwd, request.tools.allow),
    settingSources: [],
    strictMcpConfig: true,
    persistSession: false,
    includePartialMessages: true,
    ...(request.model ? { model: request.model } : {}),
    ...(request.maxTurns ? { maxTurns: request.maxTurns } : {}),
    ...(request.maxBudgetUsd ? { maxBudgetUsd: request.maxBudgetUsd } : {}),
    ...(request.outputSchema ? { outputFormat: { type: 'json_schema', schema: request.outputSchema } } : {}),
    ...(host.executable ? { pathToClaudeCodeExecutable: host.executable } : {}),
    ...(host.spawnClaudeCodeProcess ? { spawnClaudeCodeProcess: host.spawnClaudeCodeProcess } : {}),
  };
}
