import { externalMcpServerSchema } from '../../../config/schema';
import { buildQueryOptions } from '../process/query-options';
import type { ClaudeRequest } from '../../types';
import { checkExternalServers, type ListTools, type ResolvedServer } from './external-servers';

const settings = { allowedServerUrls: ['https://mcp.example.com/notes'], serverCheckTimeoutMs: 1000 };
const stdio = externalMcpServerSchema.parse({ type: 'stdio', command: 'node', args: ['notes.js'], env: ['NOTES_TAG'], tools: ['lookup_note'] });
const http = (url: string, tools = ['search']) => externalMcpServerSchema.parse({ type: 'http', url, headers: { Authorization: 'NOTES_TOKEN' }, tools });

describe('external MCP servers: the boot check', () => {
  it('resolves variables from the environment, lists tools, and offers only the allowed ones', async () => {
    const seen: ResolvedServer[] = [];
    const list: ListTools = async (server) => {
      seen.push(server);
      return server.type === 'stdio' ? ['lookup_note', 'delete_everything'] : ['search'];
    };
    const env = { NOTES_TAG: 'blue', NOTES_TOKEN: 'Bearer t0ken', OTHER: 'never passed' };
    const { toolsets, problems } = await checkExternalServers([{ id: 'code-review', mcpServers: { notes: stdio, wiki: http('https://mcp.example.com/notes/wiki') } }], env, settings, list);
    expect(problems).toEqual([]);
    expect(seen).toEqual(expect.arrayContaining([{ type: 'stdio', command: 'node', args: ['notes.js'], env: { NOTES_TAG: 'blue' } }, { type: 'http', url: 'https://mcp.example.com/notes/wiki', headers: { Authorization: 'Bearer t0ken' } }]));
    const set = toolsets.get('code-review');
    expect(set?.allowed).toEqual(['mcp__notes__lookup_note', 'mcp__wiki__search']);
    expect(set?.hidden).toEqual(['mcp__notes__delete_everything']);
    const request: ClaudeRequest = { requestId: 'r', pluginId: 'code-review', operation: 'review', systemPrompt: 's', prompt: 'p', files: [], tools: { allow: ['Read'], mode: 'dontAsk' }, timeoutMs: 1 };
    const options = buildQueryOptions(request, { cwd: '/w', env: {}, abortController: new AbortController(), externalTools: set });
    expect(Object.keys(options.mcpServers ?? {})).toEqual(['notes', 'wiki']);
    expect(options.allowedTools).toEqual(['mcp__notes__lookup_note', 'mcp__wiki__search']);
    expect(options.disallowedTools).toContain('mcp__notes__delete_everything');
    expect(JSON.stringify(options.mcpServers)).not.toContain('never passed');
    expect(options.mcpServersDelivery).toBe('initialize'); // secrets over stdin, not on the command line
  });

  it('reports every problem at once, each naming its plugin and server', async () => {
    const list: ListTools = async (server) => {
      if (server.type === 'stdio') throw new Error('spawn node ENOENT');
      return ['search'];
    };
    const { problems } = await checkExternalServers(
      [{ id: 'code-review', mcpServers: { notes: stdio, evil: http('https://evil.example.net/mcp'), wiki: http('https://mcp.example.com/notes', ['search', 'admin']) } }],
      { NOTES_TAG: 'x' },
      settings,
      list,
    );
    expect(problems).toEqual([
      'plugins.code-review.mcpServers.evil.headers.Authorization: the environment variable NOTES_TOKEN is not set',
      'plugins.code-review.mcpServers.evil.url: https://evil.example.net/mcp is not under any entry of mcp.allowedServerUrls (https://mcp.example.com/notes); an operator adds the server\'s URL there',
      'plugins.code-review.mcpServers.notes: the MCP server did not start or list its tools: spawn node ENOENT',
      'plugins.code-review.mcpServers.wiki.headers.Authorization: the environment variable NOTES_TOKEN is not set',
    ]);
  });
});
