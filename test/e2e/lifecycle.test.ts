import { existsSync, readdirSync } from 'node:fs';
import { postJson, processesUnder, startTestRuntime, waitUntil, type TestRuntime } from '@ccp/testing';

// No `claude` child outlives its request: client disconnects and timeouts end the query,
// its process and its workspace.

const review = { files: [{ path: 'a.ts', content: 'export const a = 1;\n' }] };

async function inFlight(rt: TestRuntime): Promise<number> {
  const metric = await rt.runtime.metrics.inFlight.get();
  return metric.values.reduce((t, v) => t + v.value, 0);
}

function workspaces(rt: TestRuntime): string[] {
  return existsSync(rt.workspaceRoot) ? readdirSync(rt.workspaceRoot) : [];
}

describe('query lifecycle with the real CLI', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ config: { plugins: { 'code-review': { timeoutMs: 4000 } } } });
  });
  afterAll(() => rt.close());
  beforeEach(() => rt.simulator.reset());

  it('a client that disconnects mid-query leaves no claude process behind', async () => {
    rt.simulator.setFallback({ hang: true });
    const client = new AbortController();
    const pending = postJson(`${rt.url}/v1/plugins/code-review/review`, review, { signal: client.signal }).catch((err: unknown) => err);
    await rt.simulator.waitForMessageRequests(1);
    expect(processesUnder(rt.workspaceRoot).length).toBeGreaterThan(0);
    expect(await inFlight(rt)).toBe(1);

    client.abort();
    await pending;
    expect(await waitUntil(() => processesUnder(rt.workspaceRoot).length === 0, 5000)).toBe(true);
    expect(await waitUntil(async () => (await inFlight(rt)) === 0, 5000)).toBe(true);
    expect(await waitUntil(() => workspaces(rt).length === 0, 5000)).toBe(true);
    const text = await rt.runtime.metrics.registry.metrics();
    expect(text).toContain('ccp_claude_queries_total{plugin="code-review",outcome="aborted"} 1');
  });

  it('a query that passes its timeout answers 504 and leaves nothing behind', async () => {
    rt.simulator.setFallback({ hang: true });
    const res = await postJson(`${rt.url}/v1/plugins/code-review/review`, review);
    expect(res.status).toBe(504);
    expect(((await res.json()) as { code: string }).code).toBe('upstream_timeout');
    expect(processesUnder(rt.workspaceRoot)).toEqual([]);
    expect(workspaces(rt)).toEqual([]);
    expect(await inFlight(rt)).toBe(0);
  });

  it('serves the next request normally afterwards', async () => {
    const res = await postJson(`${rt.url}/v1/plugins/code-review/review`, review);
    expect(res.status).toBe(200);
  });
});
