import type { McpServerConfig } from '@anthropic-ai/claude-agent-sdk';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ExternalMcpServerConfig, PlatformConfig } from '../../../config/schema';
import { underEntry } from '../../../jobs/webhooks/allowed-urls';
import { resolve as resolvePath } from 'node:path';

/** The built stdio-env-guard.js (from src/ under jest, from dist/ otherwise: the package's dist either way). */
export const STDIO_ENV_GUARD = resolvePath(__dirname, '../../../..', 'dist/engine/agent-sdk/tools/stdio-env-guard.js');

/** Variables a stdio server keeps besides the ones its section names (what a program needs to run). */
export const STDIO_BASE_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'] as const;

/** What a plugin's external MCP servers give its queries: the servers, and which of their tools the model sees. */
export interface ExternalToolset {
  /** The SDK's `mcpServers` entries, by server name, with values read from the environment. */
  readonly servers: Readonly<Record<string, McpServerConfig>>;
  /** `mcp__<server>__<tool>` of every allowed tool: offered and pre-approved. */
  readonly allowed: readonly string[];
  /** The other tools the servers listed at boot: removed from the model's context. */
  readonly hidden: readonly string[];
}

/** A server ready to start or reach, its secrets read from the environment. */
export type ResolvedServer = { readonly type: 'stdio'; readonly command: string; readonly args: readonly string[]; readonly env: Readonly<Record<string, string>> } | { readonly type: 'http'; readonly url: string; readonly headers: Readonly<Record<string, string>> };

/** Lists the tools of a server (the boot check); the default starts or reaches it with the MCP SDK's client. */
export type ListTools = (server: ResolvedServer, timeoutMs: number) => Promise<string[]>;

/** The servers' settings as the check reads them. */
export type ExternalServerSettings = Pick<PlatformConfig['mcp'], 'allowedServerUrls' | 'serverCheckTimeoutMs'>;

/** The server with its variables' values, or what is wrong with its section. */
function resolve(where: string, server: ExternalMcpServerConfig, env: NodeJS.ProcessEnv, settings: ExternalServerSettings): { server?: ResolvedServer; problems: string[] } {
  const problems: string[] = [];
  const read = (name: string, field: string) => {
    const value = env[name];
    if (value === undefined || value === '') problems.push(`${where}.${field}: the environment variable ${name} is not set`);
    return value ?? '';
  };
  if (server.type === 'stdio') {
    const vars = Object.fromEntries(server.env.map((name) => [name, read(name, 'env')]));
    return { server: { type: 'stdio', command: server.command, args: server.args, env: vars }, problems };
  }
  let url: URL | undefined;
  try {
    url = new URL(server.url);
  } catch {
    problems.push(`${where}.url: "${server.url}" is not an absolute URL`);
  }
  if (url && !settings.allowedServerUrls.some((entry) => underEntry(url, new URL(entry)))) {
    problems.push(`${where}.url: ${url.origin}${url.pathname} is not under any entry of mcp.allowedServerUrls (${settings.allowedServerUrls.join(', ') || 'none'}); an operator adds the server's URL there`);
  }
  const headers = Object.fromEntries(Object.entries(server.headers).map(([header, name]) => [header, read(name, `headers.${header}`)]));
  return { server: { type: 'http', url: server.url, headers }, problems };
}

/** The MCP SDK's client: starts (stdio) or reaches (HTTP) the server, lists its tools, closes. */
export const listToolsWithSdk: ListTools = async (server, timeoutMs) => {
  const client = new Client({ name: 'claude-code-platform-boot-check', version: '1.0.0' });
  let transport: StdioClientTransport | StreamableHTTPClientTransport;
  if (server.type === 'stdio') {
    // The server's environment: the SDK's minimal default (PATH, HOME …) and the variables its section names.
    transport = new StdioClientTransport({ command: server.command, args: [...server.args], env: { ...getDefaultEnvironment(), ...server.env }, stderr: 'ignore' });
  } else {
    transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { ...server.headers } } });
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)));
  try {
    await Promise.race([client.connect(transport), timeout]);
    const { tools } = await Promise.race([client.listTools(), timeout]);
    return tools.map((t) => t.name);
  } finally {
    clearTimeout(timer);
    await client.close().catch(() => undefined);
  }
};

/**
 * The boot check of every plugin's external MCP servers, all problems at once: each
 * section's variables are set and an HTTP server's URL is allowed; each server starts (or
 * answers) and lists its tools within `mcp.serverCheckTimeoutMs`; every tool a section
 * allows is one the server lists. A problem names the plugin and the server.
 */
export async function checkExternalServers(
  plugins: readonly { readonly id: string; readonly mcpServers?: Readonly<Record<string, ExternalMcpServerConfig>> }[],
  env: NodeJS.ProcessEnv,
  settings: ExternalServerSettings,
  listTools: ListTools = listToolsWithSdk,
): Promise<{ toolsets: Map<string, ExternalToolset>; problems: string[] }> {
  const problems: string[] = [];
  const toolsets = new Map<string, ExternalToolset>();
  await Promise.all(
    plugins.map(async (plugin) => {
      const servers: Record<string, McpServerConfig> = {};
      const allowed: string[] = [];
      const hidden: string[] = [];
      for (const [name, section] of Object.entries(plugin.mcpServers ?? {})) {
        const where = `plugins.${plugin.id}.mcpServers.${name}`;
        const resolved = resolve(where, section, env, settings);
        problems.push(...resolved.problems);
        if (resolved.problems.length > 0 || !resolved.server) continue;
        let listed: string[];
        try {
          listed = await listTools(resolved.server, settings.serverCheckTimeoutMs);
        } catch (err) {
          problems.push(`${where}: the MCP server did not start or list its tools: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
          continue;
        }
        const missing = section.tools.filter((t) => !listed.includes(t));
        if (missing.length > 0) problems.push(`${where}.tools: the server lists no ${missing.join(', ')} (it lists ${listed.join(', ') || 'no tools'})`);
        const server = resolved.server;
        // alwaysLoad: connected before the first turn and listed in it, never deferred behind tool search.
        // A stdio server starts under the env guard: the CLI would hand it its whole environment (the Anthropic credential with it).
        const keep = [...new Set([...STDIO_BASE_ENV, ...Object.keys(server.type === 'stdio' ? server.env : {})])].join(',');
        servers[name] =
          server.type === 'stdio'
            ? { type: 'stdio', command: process.execPath, args: [STDIO_ENV_GUARD, keep, server.command, ...server.args], env: { ...server.env }, alwaysLoad: true }
            : { type: 'http', url: server.url, headers: { ...server.headers }, alwaysLoad: true };
        allowed.push(...section.tools.map((t) => `mcp__${name}__${t}`));
        hidden.push(...listed.filter((t) => !section.tools.includes(t)).map((t) => `mcp__${name}__${t}`));
      }
      if (Object.keys(servers).length > 0) toolsets.set(plugin.id, { servers, allowed, hidden });
    }),
  );
  return { toolsets, problems: problems.sort() };
}
