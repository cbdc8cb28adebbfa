import { MCP_STDIO_SERVER, postJson, startMcpHttpServer, startSimulator, startTestRuntime, testKey, waitUntil, type Simulator, type TestRuntime } from '@ccp/testing';

// An operator-configured MCP server for a plugin (a tiny stdio server written with the MCP
// SDK, core/testing/src/mcp-stdio-server.ts), with the real CLI against the simulator: its
// allowed tool is offered and used, its other tool is not visible; a server that is
// misconfigured stops the boot with its name.

type Block = { type?: string; tool_use_id?: string; content?: unknown; is_error?: boolean };
const results = (messages: readonly { content: unknown }[]) => messages.flatMap((m) => (Array.isArray(m.content) ? (m.content as Block[]) : [])).filter((b) => b.type === 'tool_result');
const review = { files: [{ path: 'a.ts', content: 'export const a = 1;\n' }] };
const notes = (tools: string[], extra: Record<string, unknown> = {}) => ({ plugins: { 'code-review': { mcpServers: { notes: { type: 'stdio', command: process.execPath, args: [MCP_STDIO_SERVER], env: ['NOTES_TAG'], tools, ...extra } } } } });

describe('external MCP servers of a plugin', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterEach(() => sim.reset());
  afterAll(() => sim.close());

  describe('a configured stdio server', () => {
    let rt: TestRuntime;
    beforeAll(async () => {
      rt = await startTestRuntime({ simulator: sim, config: notes(['lookup_note']), env: { NOTES_TAG: 'blue', NOT_PASSED: 'secret-value' } });
    });
    afterAll(() => rt.close());

    it('offers only its allowed tool, which the model calls and whose answer it gets', async () => {
      sim.enqueue({ blocks: [{ type: 'tool_use', id: 'toolu_note', name: 'mcp__notes__lookup_note', input: { key: 'release-train' } }] }, { auto: true });
      const res = await postJson(`${rt.url}/v1/plugins/code-review/review`, review);
      expect(res.status).toBe(200);
      const offered = sim.messageRequests().find((r) => r.tools.includes('mcp__notes__lookup_note'));
      expect(offered).toBeDefined();
      expect(sim.messageRequests().some((r) => r.tools.includes('mcp__notes__delete_everything'))).toBe(false);
      const answer = results(sim.messageRequests().at(-1)?.messages ?? []).find((b) => b.tool_use_id === 'toolu_note');
      expect(answer?.is_error).toBeFalsy();
      expect(JSON.stringify(answer?.content)).toContain('NOTE-42');
      expect(JSON.stringify(answer?.content)).toContain('tag blue');
      expect(JSON.stringify(answer?.content)).toContain('api key not visible');
    });

    it('refuses a call of the tool the operator did not allow', async () => {
      sim.enqueue({ blocks: [{ type: 'tool_use', id: 'toolu_del', name: 'mcp__notes__delete_everything', input: {} }] }, { auto: true });
      const res = await postJson(`${rt.url}/v1/plugins/code-review/review`, review);
      expect(res.status).toBe(200);
      const answer = results(sim.messageRequests().at(-1)?.messages ?? []).find((b) => b.tool_use_id === 'toolu_del');
      expect(answer?.is_error).toBe(true);
      expect(JSON.stringify(answer?.content)).not.toContain('deleted');
    });
  });

  it('is held by warm-pool spares too: a call a spare serves uses the allowed tool, and still never sees the other', async () => {
    const alice = testKey('alice');
    const bob = testKey('bob');
    const rt = await startTestRuntime({ simulator: sim, config: { ...notes(['lookup_note']), auth: { enabled: true, keys: [alice.entry, bob.entry] }, pool: { enabled: true, sparesPerOperation: 1, maxProcesses: 3 } }, env: { NOTES_TAG: 'green' } });
    const metric = async (name: string, labels: Record<string, string>) => (await rt.runtime.metrics.registry.getSingleMetric(name)?.get())?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
    try {
      // alice's call teaches the pool the operation; a spare is then prewarmed from it.
      expect((await postJson(`${rt.url}/v1/plugins/code-review/review`, review, { headers: alice.headers })).status).toBe(200);
      expect(await waitUntil(async () => (await metric('ccp_pool_processes', { state: 'spare' })) === 1, 30_000)).toBe(true);
      sim.reset();
      sim.enqueue({ blocks: [{ type: 'tool_use', id: 'toolu_spare', name: 'mcp__notes__lookup_note', input: { key: 'release-train' } }] }, { auto: true });
      expect((await postJson(`${rt.url}/v1/plugins/code-review/review`, review, { headers: bob.headers })).status).toBe(200);
      expect(await metric('ccp_pool_leases_total', { result: 'spare' })).toBe(1);
      const answer = results(sim.messageRequests().at(-1)?.messages ?? []).find((b) => b.tool_use_id === 'toolu_spare');
      expect(answer?.is_error).toBeFalsy();
      expect(JSON.stringify(answer?.content)).toContain('tag green');
      expect(sim.messageRequests().some((r) => r.tools.includes('mcp__notes__delete_everything'))).toBe(false);
    } finally {
      await rt.close();
    }
  });

  it('reaches an HTTP server whose URL is allowed, with its header from the environment, offering only the allowed tool', async () => {
    const wiki = await startMcpHttpServer('wiki-token-5d1f');
    const config = (allowed: string[]) => ({
      mcp: { allowedServerUrls: allowed },
      plugins: { 'code-review': { mcpServers: { wiki: { type: 'http', url: wiki.url, headers: { Authorization: 'WIKI_AUTHORIZATION' }, tools: ['search_wiki'] } } } },
    });
    try {
      await expect(startTestRuntime({ simulator: sim, config: config(['http://127.0.0.1:1/']), env: { WIKI_AUTHORIZATION: 'Bearer wiki-token-5d1f' } })).rejects.toThrow(/plugins\.code-review\.mcpServers\.wiki\.url: .* is not under any entry of mcp\.allowedServerUrls/);
      await expect(startTestRuntime({ simulator: sim, config: config([wiki.url]), env: { WIKI_AUTHORIZATION: 'Bearer wrong' } })).rejects.toThrow(/plugins\.code-review\.mcpServers\.wiki: the MCP server did not start or list its tools/);
      const rt = await startTestRuntime({ simulator: sim, config: config([wiki.url]), env: { WIKI_AUTHORIZATION: 'Bearer wiki-token-5d1f' } });
      try {
        sim.enqueue({ blocks: [{ type: 'tool_use', id: 'toolu_wiki', name: 'mcp__wiki__search_wiki', input: { query: 'release train' } }] }, { auto: true });
        expect((await postJson(`${rt.url}/v1/plugins/code-review/review`, review)).status).toBe(200);
        const answer = results(sim.messageRequests().at(-1)?.messages ?? []).find((b) => b.tool_use_id === 'toolu_wiki');
        expect(JSON.stringify(answer?.content)).toContain('WIKI-7');
        expect(sim.messageRequests().some((r) => r.tools.includes('mcp__wiki__edit_wiki'))).toBe(false);
        expect(wiki.authorizations.filter((a) => a === 'Bearer wiki-token-5d1f').length).toBeGreaterThan(1); // the boot check and the CLI
      } finally {
        await rt.close();
      }
    } finally {
      await wiki.close();
    }
  });

  it('stops the boot naming the server when it lacks an allowed tool, cannot start, or misses a variable', async () => {
    await expect(startTestRuntime({ simulator: sim, config: notes(['lookup_note', 'nope']), env: { NOTES_TAG: 'x' } })).rejects.toThrow(/plugins\.code-review\.mcpServers\.notes\.tools: the server lists no nope \(it lists lookup_note, delete_everything\)/);
    await expect(startTestRuntime({ simulator: sim, config: notes(['lookup_note'], { command: '/nonexistent/mcp-server' }), env: { NOTES_TAG: 'x' } })).rejects.toThrow(/plugins\.code-review\.mcpServers\.notes: the MCP server did not start or list its tools/);
    await expect(startTestRuntime({ simulator: sim, config: notes(['lookup_note']) })).rejects.toThrow(/plugins\.code-review\.mcpServers\.notes\.env: the environment variable NOTES_TAG is not set/);
  });
});
