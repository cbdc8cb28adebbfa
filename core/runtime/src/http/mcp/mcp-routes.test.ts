import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { FakeEngine, LogCapture, testKey, unitRuntime, waitUntil } from '@ccp/testing';
import type { Runtime } from '../../composition-root';

// The /mcp routes on the real runtime (composition root, pipeline, audit) around a fake
// engine, driven by the official MCP SDK client. The end-to-end test runs the real CLI.

const reviewOutput = { summary: 's', findings: [], filesReviewed: ['a.ts'] };
const review = { files: [{ path: 'a.ts', content: 'export const a = 1;\n' }] };
type ToolAnswer = { isError?: boolean; content: { text?: string }[]; structuredContent?: Record<string, unknown>; _meta?: Record<string, unknown> };
const problem = (a: ToolAnswer) => JSON.parse(a.content[0]?.text ?? '{}') as { code: string; requestId: string };

describe('/mcp', () => {
  const alice = testKey('alice');
  const bob = testKey('bob', { plugins: ['doc-generator'] });
  let engine: FakeEngine;
  let runtime: Runtime;
  let server: Server;
  let log: LogCapture;
  let base: string;
  const clients: Client[] = [];

  async function connect(key: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } });
    const client = new Client({ name: 'unit', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    return { client, transport };
  }

  beforeEach(async () => {
    engine = new FakeEngine({ output: reviewOutput });
    log = new LogCapture();
    runtime = await unitRuntime(engine, { config: { logging: { level: 'info' }, auth: { keys: [alice.entry, bob.entry] }, cache: { enabled: false }, mcp: { maxSessionsPerCaller: 2 } }, logDestination: log });
    server = await runtime.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close().catch(() => undefined);
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await runtime.dispose();
  });

  it('lists the operations a key may use and runs one through the pipeline with transport mcp', async () => {
    const { client } = await connect(alice.key);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('code-review__review');
    const answer = (await client.callTool({ name: 'code-review__review', arguments: review })) as ToolAnswer;
    expect(answer.isError).toBeFalsy();
    expect(answer.structuredContent).toMatchObject({ summary: 's', findings: [], filesReviewed: ['a.ts'] });
    expect(engine.requests).toHaveLength(1);
    expect(engine.requests[0]?.pluginId).toBe('code-review');
    expect(log.audit).toEqual([expect.objectContaining({ key: 'alice', plugin: 'code-review', operation: 'review', transport: 'mcp', outcome: 'success' })]);
  });

  it('refuses a plugin the key may not use as a tool error carrying the problem, audited, and lists no such tool', async () => {
    const { client } = await connect(bob.key);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['doc-generator__generate']);
    const answer = (await client.callTool({ name: 'code-review__review', arguments: review })) as ToolAnswer;
    expect(answer.isError).toBe(true);
    expect(problem(answer)).toMatchObject({ code: 'forbidden' });
    expect(engine.requests).toHaveLength(0);
    expect(log.audit).toEqual([expect.objectContaining({ key: 'bob', transport: 'mcp', outcome: 'forbidden' })]);
  });

  it('aborts a call the client cancels and audits it as client_closed_request', async () => {
    engine.script({ waitForAbort: true });
    const { client } = await connect(alice.key);
    const cancel = new AbortController();
    const call = client.callTool({ name: 'code-review__review', arguments: review }, undefined, { signal: cancel.signal });
    expect(await waitUntil(() => engine.requests.length === 1, 5_000)).toBe(true);
    cancel.abort('stop');
    await expect(call).rejects.toThrow();
    expect(await waitUntil(() => log.audit.length === 1, 5_000)).toBe(true);
    expect(log.audit[0]).toMatchObject({ transport: 'mcp', outcome: 'client_closed_request' });
    expect(runtime.lifecycle.running).toBe(0);
  });

  it('refuses tool calls while draining, alike with every transport', async () => {
    engine.script({ waitForAbort: true });
    const { client } = await connect(alice.key);
    const first = client.callTool({ name: 'code-review__review', arguments: review });
    expect(await waitUntil(() => engine.requests.length === 1, 5_000)).toBe(true);
    const drained = runtime.lifecycle.drain(300);
    const refused = (await client.callTool({ name: 'code-review__review', arguments: review })) as ToolAnswer;
    expect(problem(refused)).toMatchObject({ code: 'shutting_down' });
    await drained;
    expect(problem((await first) as ToolAnswer)).toMatchObject({ code: 'shutting_down' });
  });

  it("answers 404 mcp_session_not_found for another key's session, 400 for a request without one, 429 past the key's session cap", async () => {
    const { transport } = await connect(alice.key);
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
    const list = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const stolen = await fetch(`${base}/mcp`, { method: 'POST', headers: { ...headers, ...bob.headers, 'mcp-session-id': String(transport.sessionId) }, body: list });
    expect(stolen.status).toBe(404);
    expect(((await stolen.json()) as { code: string }).code).toBe('mcp_session_not_found');
    const bare = await fetch(`${base}/mcp`, { method: 'POST', headers: { ...headers, ...alice.headers }, body: list });
    expect(bare.status).toBe(400);
    const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'page', version: '1' } } });
    const fromPage = await fetch(`${base}/mcp`, { method: 'POST', headers: { ...headers, ...alice.headers, origin: 'https://evil.example' }, body: initialize });
    expect(fromPage.status).toBe(403);
    // A client asking for a revision older than the two served is offered the newest.
    const old = await fetch(`${base}/mcp`, { method: 'POST', headers: { ...headers, ...alice.headers }, body: initialize.replace('2025-06-18', '2024-11-05') });
    expect(await old.text()).toContain(`"protocolVersion":"${LATEST_PROTOCOL_VERSION}"`);
    await expect(connect(alice.key)).rejects.toThrow(/429|too_many_sessions/);
    // DELETE ends a session; its id is unknown afterwards.
    const id = String(transport.sessionId);
    await transport.terminateSession();
    const gone = await fetch(`${base}/mcp`, { method: 'POST', headers: { ...headers, ...alice.headers, 'mcp-session-id': id }, body: list });
    expect(gone.status).toBe(404);
  });

  it('counts tool calls that name no session of the key against its request rate, so a flood of them is limited', async () => {
    const limited = await unitRuntime(engine, { config: { auth: { keys: [alice.entry] }, rateLimits: { perKey: 3 } } });
    const srv = await limited.listen(0, '127.0.0.1');
    try {
      const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/mcp`;
      const headers = { ...alice.headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': 'no-such-session', 'mcp-protocol-version': '2025-06-18' };
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'code-review__review', arguments: review } });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await fetch(url, { method: 'POST', headers, body })).status);
      expect(statuses).toEqual([404, 404, 404, 429, 429]);
      expect(engine.requests).toHaveLength(0);
    } finally {
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
      await limited.dispose();
    }
  });
});
