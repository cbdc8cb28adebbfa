import { BUILTIN_TOOLS } from '@ccp/plugin-api';
import { type ClaudeRequest } from '../../types';
import type { Options, SessionStore } from '@anthropic-ai/claude-agent-sdk';
import type { ClaudeProcess } from './child-process';
import { definedToolNames } from '../tools/defined-tools';
import type { ExternalToolset } from '../tools/external-servers';
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
  /** Where session transcripts are kept (in memory, or Redis shared by replicas). */
  readonly sessionStore?: SessionStore;
  /** The in-process MCP server of the plugin's defined tools (see tools/defined-tools.ts). */
  readonly mcpServers?: Options['mcpServers'];
  /** The plugin's operator-configured MCP servers and which of their tools the model sees. */
  readonly externalTools?: ExternalToolset;
}

/**
 * The host settings of a `claude` that runs in `workspace`: its cwd there, its own
 * CLAUDE_CONFIG_DIR beside it (no two CLIs share a config file), spawned by the platform.
 */
export function workspaceHost(
  workspace: { readonly dir: string; readonly configDir: string },
  base: { readonly env: Record<string, string>; readonly executable?: string },
  abortController: AbortController,
  process: Pick<ClaudeProcess, 'spawn'>,
  sessionStore?: SessionStore,
): QueryHost {
  return {
    cwd: workspace.dir,
    env: { ...base.env, CLAUDE_CONFIG_DIR: workspace.configDir },
    abortController,
    executable: base.executable,
    spawnClaudeCodeProcess: process.spawn,
    sessionStore,
  };
}

function sessionOptions(request: ClaudeRequest, host: QueryHost): Partial<Options> {
  if (!request.session) return { persistSession: false };
  const { id, resume } = request.session;
  return {
    persistSession: true,
    ...(host.sessionStore ? { sessionStore: host.sessionStore, sessionStoreFlush: 'eager' as const } : {}),
    ...(resume ? { resume: id } : { sessionId: id }),
  };
}

/**
 * Builds the SDK options for one query from the request (which the runtime built from
 * the plugin's declaration and the operator's config) and the host settings. There is
 * no other input: a request body cannot reach tools, permissions or settings.
 */
export function buildQueryOptions(request: ClaudeRequest, host: QueryHost): Options {
  const allowed = new Set<string>(request.tools.allow);
  // A plugin's own tools: its in-process server holds exactly them (strictMcpConfig: no other
  // server is loaded), and they are pre-approved, as the permission mode would ask about them.
  const defined = host.mcpServers ? definedToolNames(request) : [];
  const external = host.externalTools;
  const approved = [...defined, ...(external?.allowed ?? [])];
  const servers = host.mcpServers || external ? { ...external?.servers, ...host.mcpServers } : undefined;
  return {
    cwd: host.cwd,
    env: host.env,
    abortController: host.abortController,
    systemPrompt: request.systemPrompt,
    tools: [...request.tools.allow],
    // An external server's tools the operator did not allow are removed from the model's context.
    disallowedTools: [...BUILTIN_TOOLS.filter((t) => !allowed.has(t)), ...ALWAYS_DENIED, ...(external?.hidden ?? [])],
    allowedTools: approved,
    permissionMode: request.tools.mode,
    canUseTool: workspaceGuard(host.cwd, [...request.tools.allow, ...approved]),
    // An external server's env and headers (secrets) go over stdin, never on the command line
    // other users of the host can read (needs the bundled claude, or a newer claude.executable).
    ...(servers ? { mcpServers: servers, ...(external ? { mcpServersDelivery: 'initialize' as const } : {}) } : {}),
    settingSources: [],
    strictMcpConfig: true,
    includePartialMessages: true,
    ...sessionOptions(request, host),
    ...(request.model ? { model: request.model } : {}),
    ...(request.maxTurns ? { maxTurns: request.maxTurns } : {}),
    ...(request.maxBudgetUsd ? { maxBudgetUsd: request.maxBudgetUsd } : {}),
    ...(request.outputSchema ? { outputFormat: { type: 'json_schema', schema: request.outputSchema } } : {}),
    ...(host.executable ? { pathToClaudeCodeExecutable: host.executable } : {}),
    ...(host.spawnClaudeCodeProcess ? { spawnClaudeCodeProcess: host.spawnClaudeCodeProcess } : {}),
  };
}
