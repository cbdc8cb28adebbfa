import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { codeReviewPlugin, reviewResult } from '@ccp/plugin-code-review';
import { postJson, processesUnder, startServerProcess, startSimulator, startTestRuntime, testKey, waitUntil, type Simulator, type TestRuntime } from '@ccp/testing';

// The warm pool with the real CLI. A caller's later call runs in the process its earlier
// call left (cleared with /clear: the API request carries nothing of the earlier call);
// another caller never gets that process; a parked spare serves a caller's first call with
// no spawn on the request path and is replaced; a failed call or a dead process costs a
// new process but not the next call; the pool never holds more than maxProcesses; closing
// the runtime leaves no process behind; a configuration reload ends the old processes.

const INTERNAL = ['StructuredOutput', 'DeferredToolPlaceholder'];

async function value(rt: TestRuntime, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await rt.runtime.metrics.registry.getMetricsAsJSON()).find((m) => m.name === name) as { values: { value: number; labels: Record<string, string> }[] } | undefined;
  return (metric?.values ?? []).filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((t, v) => t + v.value, 0);
}

describe('warm pool', () => {
  const alice = testKey('alice');
  const bob = testKey('bob');
  // Each test has a runtime of its own (sharing one simulator), so what it counts and the
  // processes it finds are its own, whatever ran before it.
  let sim: Simulator;
  let rt: TestRuntime;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    sim.reset(); // the record, the queue and the fallback
    rt = await startTestRuntime({
      simulator: sim,
      config: { auth: { enabled: true, keys: [alice.entry, bob.entry] }, pool: { enabled: true, sparesPerOperation: 1, maxProcesses: 3 } },
    });
  });
  afterEach(() => rt.close());

  const review = (who: { headers: Record<string, string> }, path: string, content: string) =>
    postJson(`${rt.url}/v1/plugins/code-review/review`, { files: [{ path, content }] }, { headers: who.headers });
  const leases = (result: string) => value(rt, 'ccp_pool_leases_total', { result });
  const processes = (state: string) => value(rt, 'ccp_pool_processes', { state });
  const coldSpawns = () => value(rt, 'ccp_claude_spawns_total', { kind: 'cold' });
  const settled = () => waitUntil(async () => (await processes('busy')) === 0 && (await processes('warming')) === 0, 30_000);
  /** Lease counts by result, to compare before and after a call. */
  const allLeases = async () => ({ cold: await leases('cold'), reused: await leases('reused'), spare: await leases('spare'), full: await leases('full') });
  /** A first call of the operation: it teaches the pool, which then parks a spare beside the caller's process. */
  const teach = async (who: { headers: Record<string, string> }) => {
    expect((await review(who, 'teach.ts', 'export const T = 0;')).status).toBe(200);
    expect(await settled()).toBe(true);
    expect(await processes('spare')).toBe(1);
  };

  it("answers a caller's later call in the same process, with nothing of the earlier call in the API request", async () => {
    const first = await review(alice, 'alpha.ts', 'export const ALPHA_CANARY = 1;');
    expect(first.status).toBe(200);
    expect(await allLeases()).toEqual({ cold: 1, reused: 0, spare: 0, full: 0 });
    expect(await settled()).toBe(true);
    expect(await processes('idle')).toBe(1);
    expect(await processes('spare')).toBe(1); // the first call taught the pool the operation

    rt.simulator.reset();
    const before = await allLeases();
    const cold = await coldSpawns();
    const spares = await value(rt, 'ccp_claude_spawns_total', { kind: 'spare' });
    const second = await review(alice, 'beta.ts', 'export const BETA = 2;');
    expect(second.status).toBe(200);
    const body = (await second.json()) as { result: unknown; usage: { inputTokens: number } };
    expect(reviewResult.safeParse(body.result).success).toBe(true);
    expect(await allLeases()).toEqual({ ...before, reused: before.reused + 1 });
    expect(await coldSpawns()).toBe(cold);
    expect(await value(rt, 'ccp_claude_spawns_total', { kind: 'spare' })).toBe(spares);

    const calls = rt.simulator.messageRequests();
    expect(calls.length).toBeGreaterThan(0);
    const sent = JSON.stringify(calls.map((c) => [c.system, c.messages]));
    expect(sent).toContain('beta.ts');
    expect(sent).not.toContain('alpha.ts');
    expect(sent).not.toContain('ALPHA_CANARY');
    expect(calls[0]?.system).toContain(codeReviewPlugin.systemPrompt);
    expect(calls[0]?.tools.filter((t) => !INTERNAL.includes(t)).sort()).toEqual(['Glob', 'Grep', 'Read']);
    // Usage is this call's alone: /clear restarts the SDK's running totals.
    expect(body.usage.inputTokens).toBe(calls.reduce((t, c) => t + (c.inputTokens ?? 0), 0));
    expect(await settled()).toBe(true);
    expect(await processes('idle')).toBe(1);
  });

  it("never gives one caller's process to another: a new caller claims the spare, with no spawn on the request path", async () => {
    await teach(alice);
    rt.simulator.reset();
    const before = await allLeases();
    const cold = await coldSpawns();
    const res = await review(bob, 'gamma.ts', 'export const GAMMA = 3;');
    expect(res.status).toBe(200);
    expect(await allLeases()).toEqual({ ...before, spare: before.spare + 1 }); // not alice's process
    expect(await coldSpawns()).toBe(cold);
    const sent = JSON.stringify(rt.simulator.messageRequests().map((c) => c.messages));
    expect(sent).toContain('gamma.ts');
    expect(sent).not.toContain('teach.ts');
    expect(await settled()).toBe(true);
    expect(await processes('idle')).toBe(2);
    expect(await processes('spare')).toBe(1); // the claimed spare was replaced
  });

  it('ends the process of a failed call; the next call still succeeds', async () => {
    rt.simulator.setFallback({ fault: 500 });
    const failed = await review(alice, 'delta.ts', 'x');
    rt.simulator.setFallback(undefined);
    expect(failed.status).toBe(502);
    expect(await leases('cold')).toBe(1); // it ran in a pool process
    expect(await settled()).toBe(true);
    expect(await processes('idle')).toBe(0); // which was ended, not kept
    const again = await review(alice, 'delta.ts', 'x');
    expect(again.status).toBe(200);
  });

  it('replaces processes that died while idle or parked, and still answers', async () => {
    await teach(alice);
    const before = processesUnder(rt.workspaceRoot);
    expect(before.length).toBe(2); // alice's idle process and the spare
    for (const pid of before) process.kill(pid, 'SIGKILL');
    // No waiting: the call may find its process dead before the platform has noticed the exit.
    expect((await review(alice, 'epsilon.ts', 'x')).status).toBe(200);
    expect((await review(bob, 'zeta.ts', 'x')).status).toBe(200);
  });

  it('never holds more than maxProcesses, across operations and callers', async () => {
    const samples: number[] = [];
    const sample = async () => {
      samples.push(processesUnder(rt.workspaceRoot).length);
      samples.push((await processes('idle')) + (await processes('busy')) + (await processes('spare')) + (await processes('warming')));
    };
    const timer = setInterval(() => void sample(), 50);
    try {
      for (const who of [alice, bob]) {
        expect((await postJson(`${rt.url}/v1/plugins/doc-generator/generate`, { files: [{ path: 'a.ts', content: 'x' }], style: 'tsdoc' }, { headers: who.headers })).status).toBe(200);
        expect((await postJson(`${rt.url}/v1/plugins/migration-advisor/assess`, { files: [{ path: 'a.js', content: 'x' }], from: 'a@1', to: 'a@2' }, { headers: who.headers })).status).toBe(200);
        expect((await review(who, 'eta.ts', 'x')).status).toBe(200);
      }
      expect(await settled()).toBe(true);
      await sample();
    } finally {
      clearInterval(timer);
    }
    // One more than the cap can be seen for a moment: a one-off call when the pool is full.
    expect(Math.max(...samples)).toBeLessThanOrEqual(3 + 1);
    expect(processesUnder(rt.workspaceRoot).length).toBeLessThanOrEqual(3);
  });
});

describe('warm pool when the runtime closes', () => {
  it('leaves no process behind', async () => {
    const other = await startTestRuntime({ config: { pool: { enabled: true, sparesPerOperation: 1, maxProcesses: 2 } } });
    expect((await postJson(`${other.url}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'x' }] })).status).toBe(200);
    expect(await waitUntil(() => processesUnder(other.workspaceRoot).length === 2, 20_000)).toBe(true);
    const root = other.workspaceRoot;
    await other.close();
    expect(processesUnder(root)).toEqual([]);
  });
});

describe('warm pool across a configuration reload', () => {
  it("ends the old configuration's processes on SIGHUP; the next call runs in a new one", async () => {
    const sim = await startSimulator();
    const key = testKey('reloader');
    const dir = mkdtempSync(join(tmpdir(), 'ccp-pool-reload-'));
    const root = join(dir, 'ws');
    const file = join(dir, 'c.yaml');
    const write = (maxTurns: number) =>
      writeFileSync(file, stringify({ auth: { keys: [key.entry] }, claude: { workspaceRoot: root }, cache: { enabled: false }, pool: { enabled: true, sparesPerOperation: 1, maxProcesses: 2 }, plugins: { 'code-review': { maxTurns } } }));
    write(8);
    const server = await startServerProcess({ HOME: dir, CCP_CONFIG: file, ANTHROPIC_API_KEY: 'sk-ant-pool-reload', ANTHROPIC_BASE_URL: sim.url });
    try {
      const review = () => postJson(`${server.url}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'x' }] }, { headers: key.headers });
      expect((await review()).status).toBe(200);
      expect(await waitUntil(() => processesUnder(root).length === 2, 20_000)).toBe(true); // the caller's process and a spare
      const old = processesUnder(root);

      write(9);
      server.child.kill('SIGHUP');
      expect(await waitUntil(() => server.output().includes('configuration reloaded'), 10_000)).toBe(true);
      expect(await waitUntil(() => processesUnder(root).every((pid) => !old.includes(pid)), 20_000)).toBe(true);
      expect((await review()).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
      await sim.close();
    }
    expect(processesUnder(root)).toEqual([]);
  });
});
