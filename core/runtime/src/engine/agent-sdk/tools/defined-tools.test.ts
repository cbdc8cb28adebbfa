import { mkdtemp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineTool, type Logger } from '@ccp/plugin-api';
import { z } from 'zod';
import type { ClaudeRequest } from '../../types';
import { buildQueryOptions } from '../process/query-options';
import type { SdkMcp } from '../sdk';
import { definedToolServers, runDefinedTool, type DefinedToolCall } from './defined-tools';

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, child: () => silent };

const echo = defineTool({
  name: 'echo_file',
  description: 'Echoes a file of the workspace.',
  input: z.strictObject({ path: z.string() }),
  run: async ({ path }, ctx) => ({ path, text: await ctx.workspace.readFile(path), requestId: ctx.requestId }),
});
const boom = defineTool({ name: 'boom', description: 'Throws.', input: z.object({}), run: async () => Promise.reject(new Error('the lockfile is corrupt')) });
const slow = defineTool({ name: 'slow', description: 'Waits for its signal.', input: z.object({}), timeoutMs: 50, run: (_i, ctx) => new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('stopped')))) });

const request: ClaudeRequest = {
  requestId: 'req-1', caller: 'alice', pluginId: 'migration-advisor', operation: 'assess', systemPrompt: 'x', prompt: 'y', files: [],
  tools: { allow: ['Read'], mode: 'dontAsk', define: [echo, boom, slow] }, timeoutMs: 1000,
};

describe('defined tools', () => {
  let dir: string;
  let calls: DefinedToolCall[];
  const run = (tool: typeof echo, args: unknown, signal = new AbortController().signal) => runDefinedTool(tool, args, { request, dir, signal, logger: silent, observe: (c) => void calls.push(c) });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ccp-defined-'));
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src/a.ts'), 'export const a = 1;\n');
    calls = [];
  });

  it('runs a tool with a read-only view of the workspace and the request id, and records the call without its arguments', async () => {
    const answer = await run(echo, { path: 'src/a.ts' });
    expect(answer.isError).toBeUndefined();
    expect(JSON.parse(answer.content[0]?.text ?? '')).toEqual({ path: 'src/a.ts', text: 'export const a = 1;\n', requestId: 'req-1' });
    expect(calls).toEqual([{ requestId: 'req-1', key: 'alice', plugin: 'migration-advisor', operation: 'assess', tool: 'echo_file', outcome: 'success', durationMs: expect.any(Number) }]);
    expect(JSON.stringify(calls)).not.toContain('src/a.ts');
  });

  it('turns a throw, bad arguments, a path outside the workspace and the timeout into tool errors the model reads', async () => {
    await symlink('/etc/passwd', join(dir, 'link'));
    expect(await run(boom, {})).toEqual({ isError: true, content: [{ type: 'text', text: 'boom failed: the lockfile is corrupt' }] });
    expect((await run(echo, { path: 7 })).content[0]?.text).toMatch(/^echo_file: the arguments do not match its input schema: path:/);
    expect((await run(echo, { path: '../../etc/passwd' })).content[0]?.text).toContain('is not a path inside the workspace');
    expect((await run(echo, { path: 'link' })).content[0]?.text).toContain('is not a file in the workspace');
    expect(await run(slow, {})).toEqual({ isError: true, content: [{ type: 'text', text: 'slow did not answer within 50 ms.' }] });
    expect(calls.map((c) => c.outcome)).toEqual(['error', 'invalid_input', 'error', 'error', 'timeout']);
  });

  it("stops a tool when the call's signal fires", async () => {
    const call = new AbortController();
    const pending = run(slow, {}, call.signal);
    call.abort();
    expect((await pending).content[0]?.text).toBe('slow was stopped: the call ended.');
    expect(calls[0]?.outcome).toBe('aborted');
  });

  it('serves exactly the declared tools from one in-process server named after the plugin, pre-approved by their mcp__ names', () => {
    const registered: string[] = [];
    const sdk: SdkMcp = {
      tool: (name) => registered.push(name),
      createSdkMcpServer: (o) => ({ type: 'sdk', name: o.name, instance: {} as never }),
    };
    const servers = definedToolServers(sdk, request, dir, new AbortController().signal, silent);
    expect(Object.keys(servers ?? {})).toEqual(['migration-advisor']);
    expect(registered).toEqual(['echo_file', 'boom', 'slow']);
    const options = buildQueryOptions(request, { cwd: dir, env: {}, abortController: new AbortController(), mcpServers: servers });
    expect(options.mcpServers).toEqual(servers);
    expect(options.allowedTools).toEqual(['mcp__migration-advisor__echo_file', 'mcp__migration-advisor__boom', 'mcp__migration-advisor__slow']);
    expect(options.tools).toEqual(['Read']);
    expect(options.strictMcpConfig).toBe(true);
    expect(definedToolServers(sdk, { ...request, tools: { allow: ['Read'], mode: 'dontAsk' } }, dir, new AbortController().signal, silent)).toBeUndefined();
  });
});
