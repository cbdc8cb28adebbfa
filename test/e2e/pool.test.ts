import { readlinkSync } from 'node:fs';
import { codeReviewPlugin, reviewResult } from '@ccp/plugin-code-review';
import { postJson, processesUnder, startTestRuntime, waitUntil, type TestRuntime } from '@ccp/testing';

// The warm pool with the real CLI: a parked spare serves the next stateless call with no
// spawn on the request path, is replaced afterwards, never exceeds the cap, a dead spare
// costs a cold start but not the call, and closing the runtime leaves no process behind.

const INTERNAL = ['StructuredOutput', 'DeferredToolPlaceholder'];

async function value(rt: TestRuntime, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await rt.runtime.metrics.registry.getMetricsAsJSON()).find((m) => m.name === name) as { values: { value: number; labels: Record<string, string> }[] } | undefined;
  return (metric?.values ?? []).filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((t, v) => t + v.value, 0);
}

const spareProcesses = (rt: TestRuntime) =>
  processesUnder(rt.workspaceRoot).filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`).includes('/spare-');
    } catch {
      return false;
    }
  });

describe('warm pool', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ config: { pool: { enabled: true, sparesPerOperation: 1, maxProcesses: 2 } } });
  });
  afterAll(() => rt.close());

  const review = (content = 'x') => postJson(`${rt.url}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content }] });
  const ready = () => value(rt, 'ccp_pool_spares', { state: 'ready' });

  it('serves the second call from a spare, with no spawn on the request path, and refills', async () => {
    expect((await review('first')).status).toBe(200);
    expect(await value(rt, 'ccp_pool_claims_total', { result: 'miss' })).toBe(1);
    expect(await waitUntil(async () => (await ready()) === 1, 20_000)).toBe(true);

    rt.simulator.reset();
    const cold = await value(rt, 'ccp_claude_spawns_total', { kind: 'cold' });
    const res = await review('second');
    expect(res.status).toBe(200);
    expect(reviewResult.safeParse(((await res.json()) as { result: unknown }).result).success).toBe(true);
    expect(await value(rt, 'ccp_pool_claims_total', { result: 'hit' })).toBe(1);
    expect(await value(rt, 'ccp_claude_spawns_total', { kind: 'cold' })).toBe(cold);
    const call = rt.simulator.messageRequests()[0];
    expect(call?.system).toContain(codeReviewPlugin.systemPrompt);
    expect(call?.tools.filter((t) => !INTERNAL.includes(t)).sort()).toEqual(['Glob', 'Grep', 'Read']);
    expect(JSON.stringify(call?.messages)).toContain('a.ts');
    expect(await waitUntil(async () => (await ready()) === 1, 20_000)).toBe(true);
  });

  it('never keeps more spares than maxProcesses', async () => {
    const generate = await postJson(`${rt.url}/v1/plugins/doc-generator/generate`, { files: [{ path: 'a.ts', content: 'x' }], style: 'tsdoc' });
    expect(generate.status).toBe(200);
    const assess = await postJson(`${rt.url}/v1/plugins/migration-advisor/assess`, { files: [{ path: 'a.js', content: 'x' }], from: 'a@1', to: 'a@2' });
    expect(assess.status).toBe(200);
    const samples: number[] = [];
    await waitUntil(async () => {
      samples.push((await ready()) + (await value(rt, 'ccp_pool_spares', { state: 'warming' })));
      return samples.length > 20;
    }, 10_000, 100);
    expect(Math.max(...samples)).toBeLessThanOrEqual(2);
    expect(spareProcesses(rt).length).toBeLessThanOrEqual(2);
  });

  it('replaces a spare that died and still answers', async () => {
    expect(await waitUntil(async () => spareProcesses(rt).length > 0 && (await ready()) > 0, 20_000)).toBe(true);
    for (const pid of spareProcesses(rt)) process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    const res = await review('after a death');
    expect(res.status).toBe(200);
    expect(await waitUntil(async () => (await ready()) >= 1, 20_000)).toBe(true);
  });

  it('leaves no process behind when the runtime closes', async () => {
    const other = await startTestRuntime({ config: { pool: { enabled: true, sparesPerOperation: 1, maxProcesses: 1 } } });
    expect((await postJson(`${other.url}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'x' }] })).status).toBe(200);
    expect(await waitUntil(() => spareProcesses(other).length === 1, 20_000)).toBe(true);
    const root = other.workspaceRoot;
    await other.close();
    expect(processesUnder(root)).toEqual([]);
  });
});
