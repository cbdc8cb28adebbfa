import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auditFileLines, processesUnder, startServerProcess, startSimulator, testKey, waitUntil, type ServerProcess, type Simulator } from '@ccp/testing';
import Ajv2020 from 'ajv/dist/2020';
import { stringify } from 'yaml';

// The platform as an MCP server, driven by the official MCP SDK client against the built
// server process (as `claude mcp add --transport http` would reach it), with the real CLI
// answering from the simulator. Every tools/call is a call of the one pipeline (transport mcp).

const review = { files: [{ path: 'src/sum.ts', content: 'export const sum = (a: number[]) => a.reduce((x, y) => x + y);\n' }] };
const docs = { files: [{ path: 'src/a.ts', content: 'export const a = 1;\n' }], style: 'tsdoc' };

type Problem = { code: string; status: number; detail: string; requestId: string };
type ToolAnswer = { isError?: boolean; content: { type: string; text?: string }[]; structuredContent?: Record<string, unknown>; _meta?: Record<string, unknown> };


/** The problem document a tool error carries, from its text (what the model reads) and its _meta. */
function problemOf(answer: ToolAnswer): Problem {
  expect(answer.isError).toBe(true);
  expect(answer.structuredContent).toBeUndefined();
  const fromText = JSON.parse(answer.content[0]?.text ?? '{}') as Problem;
  expect(answer._meta?.['claude-code-platform/problem']).toEqual(fromText);
  return fromText;
}

describe('MCP: the platform as an MCP server', () => {
  let sim: Simulator;
  let server: ServerProcess;
  let auditFile: string;
  let workspaceRoot: string;
  const full = testKey('mcp-full');
  const docsOnly = testKey('mcp-docs', { plugins: ['doc-generator'] });
  const poor = testKey('mcp-poor', { budget: { dailyUsd: 0.01 } });
  const open: Client[] = [];

  async function connect(key: string): Promise<Client> {
    const client = new Client({ name: 'ccp-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    open.push(client);
    return client;
  }

  beforeAll(async () => {
    sim = await startSimulator();
    const dir = mkdtempSync(join(tmpdir(), 'ccp-mcp-'));
    auditFile = join(dir, 'audit.log');
    workspaceRoot = join(dir, 'workspaces');
    writeFileSync(
      join(dir, 'config.yaml'),
      stringify({
        auth: { keys: [full.entry, docsOnly.entry, poor.entry] },
        audit: { file: auditFile },
        claude: { workspaceRoot, maxRetries: 0 },
        cache: { enabled: false },
        pool: { enabled: false },
        rateLimits: { plugins: { 'doc-generator': { limit: 1 } } },
      }),
    );
    server = await startServerProcess({ HOME: dir, LOG_LEVEL: 'info', CCP_CONFIG: join(dir, 'config.yaml'), ANTHROPIC_API_KEY: 'sk-ant-mcp-test', ANTHROPIC_BASE_URL: sim.url });
    expect(server.url || server.output()).toMatch(/^http/);
  });
  afterEach(async () => {
    for (const client of open.splice(0)) await client.close().catch(() => undefined);
    sim.reset();
  });
  afterAll(async () => {
    await server?.stop();
    await sim?.close();
  });

  it('lists every operation as <plugin>__<operation>, with the published input and result schemas', async () => {
    const client = await connect(full.key);
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['code-review__review', 'doc-generator__generate', 'test-helper__generate-tests', 'migration-advisor__assess']));
    for (const name of names) expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    const published = (await (await fetch(`${server.url}/v1/plugins/code-review`, { headers: full.headers })).json()) as { operations: { name: string; inputSchema: unknown; resultSchema: unknown }[] };
    const op = published.operations.find((o) => o.name === 'review');
    const tool = tools.find((t) => t.name === 'code-review__review');
    expect(tool?.inputSchema).toEqual(op?.inputSchema);
    expect(tool?.outputSchema).toEqual(op?.resultSchema);
  });

  it('runs code-review__review through the pipeline: structuredContent valid for the result schema, progress per tool and turn, audited as mcp', async () => {
    sim.enqueue({ blocks: [{ type: 'text', text: 'Looking around.' }, { type: 'tool_use', name: 'Glob', input: { pattern: '**/*' } }] }, { auto: true });
    const client = await connect(full.key);
    const { tools } = await client.listTools();
    const progress: { progress: number; message?: string }[] = [];
    const answer = (await client.callTool({ name: 'code-review__review', arguments: review }, undefined, { onprogress: (p) => void progress.push(p) })) as ToolAnswer;
    expect(answer.isError).toBeFalsy();
    const outputSchema = tools.find((t) => t.name === 'code-review__review')?.outputSchema as Record<string, unknown>;
    const validate = new Ajv2020({ strict: false }).compile(outputSchema);
    expect(validate(answer.structuredContent)).toBe(true);
    expect(JSON.parse(answer.content[0]?.text ?? 'null')).toEqual(answer.structuredContent);
    expect(answer._meta?.['claude-code-platform/usage']).toMatchObject({ inputTokens: expect.any(Number) });
    // The model's turn that called Glob, then the tool call, then the turn that answered.
    expect(progress.map((p) => p.message)).toEqual(expect.arrayContaining(['tool Glob **/*']));
    expect(progress.some((p) => /^turn \d+$/.test(p.message ?? ''))).toBe(true);
    expect(progress.map((p) => p.progress)).toEqual([...progress.map((p) => p.progress)].sort((a, b) => a - b));
    // The tool's result went back to the model (simulator record), and the call left one audit line.
    const requests = sim.messageRequests();
    expect(JSON.stringify(requests.at(-1)?.messages)).toContain('tool_result');
    const requestId = answer._meta?.['claude-code-platform/requestId'];
    expect(await waitUntil(() => auditFileLines(auditFile).some((l) => l.requestId === requestId), 5_000)).toBe(true);
    expect(auditFileLines(auditFile).find((l) => l.requestId === requestId)).toMatchObject({ key: 'mcp-full', plugin: 'code-review', operation: 'review', transport: 'mcp', outcome: 'success' });
  });

  it('shows a key only the tools of its plugins, and refuses the others as a tool error carrying the problem (audited)', async () => {
    const client = await connect(docsOnly.key);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(['doc-generator__generate']);
    const problem = problemOf((await client.callTool({ name: 'code-review__review', arguments: review })) as ToolAnswer);
    expect(problem).toMatchObject({ code: 'forbidden', status: 403 });
    expect(problem.detail).toContain('code-review');
    expect(await waitUntil(() => auditFileLines(auditFile).some((l) => l.requestId === problem.requestId), 5_000)).toBe(true);
    expect(auditFileLines(auditFile).find((l) => l.requestId === problem.requestId)).toMatchObject({ key: 'mcp-docs', transport: 'mcp', outcome: 'forbidden', costUsd: 0 });
    expect(sim.messageRequests()).toHaveLength(0);
  });

  it('refuses bad arguments, an unknown tool, a spent budget and a rate limit as tool errors with their codes', async () => {
    const client = await connect(full.key);
    expect(problemOf((await client.callTool({ name: 'code-review__review', arguments: { files: 'nope' } })) as ToolAnswer)).toMatchObject({ code: 'invalid_input', status: 400 });
    expect(problemOf((await client.callTool({ name: 'code-review__nope', arguments: {} })) as ToolAnswer)).toMatchObject({ code: 'operation_not_found' });
    const poorClient = await connect(poor.key);
    expect(problemOf((await poorClient.callTool({ name: 'code-review__review', arguments: review })) as ToolAnswer)).toMatchObject({ code: 'budget_exhausted', status: 402 });
    const docsClient = await connect(docsOnly.key);
    // rateLimits.plugins.doc-generator allows one call per window and key: the test above made none of them.
    const first = (await docsClient.callTool({ name: 'doc-generator__generate', arguments: docs })) as ToolAnswer;
    expect(first.isError).toBeFalsy();
    expect(problemOf((await docsClient.callTool({ name: 'doc-generator__generate', arguments: docs })) as ToolAnswer)).toMatchObject({ code: 'rate_limited', status: 429 });
  });

  it('cancels a running call: its claude process ends, and it is settled at the tokens it spent and audited as client_closed_request', async () => {
    // The answer streams slowly: the first progress notification (the model's first turn began) comes long before its end.
    sim.enqueue({ auto: true, chunkDelayMs: 300 });
    const client = await connect(full.key);
    const cancel = new AbortController();
    const before = auditFileLines(auditFile).length;
    const call = client.callTool({ name: 'code-review__review', arguments: review }, undefined, { signal: cancel.signal, onprogress: () => cancel.abort('the user pressed Esc') });
    await expect(call).rejects.toThrow();
    expect(await waitUntil(() => auditFileLines(auditFile).length > before, 10_000)).toBe(true);
    const line = auditFileLines(auditFile).at(-1);
    expect(line).toMatchObject({ key: 'mcp-full', plugin: 'code-review', transport: 'mcp', outcome: 'client_closed_request', spendBasis: 'observed', inputTokens: sim.messageRequests()[0]?.inputTokens });
    expect(line?.costUsd as number).toBeGreaterThan(0);
    expect(line?.costUsd as number).toBeLessThan(0.05); // what the stream showed, not the reservation
    expect(await waitUntil(() => processesUnder(workspaceRoot).length === 0, 10_000)).toBe(true);
    // The session still serves the next call.
    expect(((await client.callTool({ name: 'code-review__review', arguments: review })) as ToolAnswer).isError).toBeFalsy();
  });

  it('keeps a session to the key that opened it: another key naming it gets 404 mcp_session_not_found', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: full.headers } });
    const client = new Client({ name: 'ccp-e2e', version: '1.0.0' });
    await client.connect(transport);
    open.push(client);
    const res = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { ...docsOnly.headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': String(transport.sessionId), 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as Problem).code).toBe('mcp_session_not_found');
    const anonymous = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anonymous.status).toBe(401);
  });
});
