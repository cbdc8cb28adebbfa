import { readFileSync } from 'node:fs';
import { postJson, processesUnder, startTestRuntime, type TestRuntime } from '@ccp/testing';

// Admission that knows what costs what: calls in flight are bounded by memory (6 here),
// process starts by CPU (1 at a time here). 12 concurrent calls against a model that takes
// seconds: 6 run at once, processes start one after another, the other 6 queue, all answer.

/** The parent pid of a process (from /proc/<pid>/stat), or undefined once it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

const review = (i: number) => ({ files: [{ path: `f${i}.ts`, content: `export const v${i} = ${i};\n` }] });

describe('capacity: in flight and starting apart', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ config: { admission: { maxConcurrent: 6, maxStarting: 1 } } });
  });
  afterAll(() => rt.close());

  it('runs 6 of 12 at once, starts one process at a time, and answers all 12', async () => {
    // The "model" holds every answer until six calls are waiting on it at once (or 60 s pass),
    // as a real model's seconds per turn would; then it answers them all.
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const letGo = setTimeout(release, 60_000);
    rt.simulator.setFallback({ auto: true, after: held });
    const seen = new Map<number, number>(); // pid -> first seen
    const samples: { at: number; alive: number; starting: number }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        // The claude processes themselves (children of this process), not their own helpers.
        const pids = processesUnder(rt.workspaceRoot).filter((pid) => parentOf(pid) === process.pid);
        const at = Date.now();
        for (const pid of pids) if (!seen.has(pid)) seen.set(pid, at);
        const gauge = (await rt.runtime.metrics.processesStarting.get()).values.find((v) => v.labels.state === 'starting')?.value ?? 0;
        samples.push({ at, alive: pids.length, starting: gauge });
        if (rt.simulator.messageRequests().length >= 6) release();
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => postJson(`${rt.url}/v1/plugins/code-review/review`, review(i)).then((r) => r.status)));
    sampling = false;
    await sampler;
    clearTimeout(letGo);
    rt.simulator.setFallback(undefined);

    expect(results).toEqual(Array(12).fill(200));
    expect(Math.max(...samples.map((s) => s.alive))).toBe(6);
    // One start at a time: each claude process appears in the process table only after the
    // one before it finished starting (a start takes several hundred milliseconds here), so
    // no two appear close together; without the gate the first six appear within a few ms.
    const spawned = [...seen.values()].sort((x, y) => x - y);
    const gaps = spawned.slice(1).map((t, i) => t - (spawned[i] as number));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(150);
    expect(Math.max(...samples.map((s) => s.starting))).toBeLessThanOrEqual(1);
    expect(seen.size).toBe(12);
    const metrics = await rt.runtime.metrics.registry.metrics();
    expect(metrics).toContain('ccp_admission_limit{kind="in_flight"} 6');
    expect(metrics).toContain('ccp_admission_limit{kind="starting"} 1');
    expect(metrics).not.toMatch(/ccp_admission_rejected_total\{/);
  }, 120_000);

  it('refuses at once, with a Retry-After from the drain rate, a call whose wait would pass the bound', async () => {
    const tight = await startTestRuntime({ config: { admission: { maxConcurrent: 1, maxQueueWaitMs: 1500 } } });
    try {
      tight.simulator.setFallback({ auto: true, chunkDelayMs: 150 });
      // Teach it the drain rate with one call, then fill the slot and queue one behind it.
      expect((await postJson(`${tight.url}/v1/plugins/code-review/review`, review(0))).status).toBe(200);
      const running = postJson(`${tight.url}/v1/plugins/code-review/review`, review(1));
      await tight.simulator.waitForMessageRequests(2);
      const queued = postJson(`${tight.url}/v1/plugins/code-review/review`, review(2));
      const asked = Date.now();
      const refused = await postJson(`${tight.url}/v1/plugins/code-review/review`, review(3));
      expect(refused.status).toBe(503);
      expect(Date.now() - asked).toBeLessThan(1000); // at once, not after waiting out the bound
      expect(((await refused.json()) as { code: string }).code).toBe('at_capacity');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await running).status).toBe(200);
      expect([200, 503]).toContain((await queued).status);
    } finally {
      tight.simulator.setFallback(undefined);
      await tight.close();
    }
  }, 120_000);
});
