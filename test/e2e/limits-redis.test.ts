import { postJson, startRedis, startSimulator, startTestRuntime, testKey, type Simulator, type TestRedis, type TestRuntime } from '@ccp/testing';

// Limits that must hold across replicas: three platform instances sharing one real
// redis-server enforce one rate limit and one budget; in-memory instances, as the
// control, each enforce their own.

describe('limits across three instances', () => {
  let redis: TestRedis;
  let sim: Simulator;
  beforeAll(async () => {
    redis = await startRedis();
    sim = await startSimulator();
  });
  afterAll(async () => {
    await sim.close();
    await redis.stop();
  });

  async function three(config: Record<string, unknown>, redisUrl?: string): Promise<TestRuntime[]> {
    return Promise.all([0, 1, 2].map(() => startTestRuntime({ simulator: sim, redisUrl, config })));
  }
  const closeAll = (rts: TestRuntime[]) => Promise.all(rts.map((r) => r.close()));

  async function roundRobin(rts: TestRuntime[], headers: Record<string, string>, n: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) statuses.push((await fetch(`${rts[i % rts.length]?.url}/v1/plugins`, { headers })).status);
    return statuses;
  }

  it('a limit of 10/min gives exactly 10 successes in 30 round-robin requests with Redis', async () => {
    const k = testKey('rr', { rateLimit: { limit: 10 } });
    const rts = await three({ auth: { enabled: true, keys: [k.entry] }, rateLimits: { windowMs: 60_000 } }, redis.url);
    try {
      const statuses = await roundRobin(rts, k.headers, 30);
      expect({ ok: statuses.filter((s) => s === 200).length, limited: statuses.filter((s) => s === 429).length }).toEqual({ ok: 10, limited: 20 });
    } finally {
      await closeAll(rts);
    }
  });

  it('control: with in-memory stores each instance counts alone', async () => {
    const k = testKey('rr-mem', { rateLimit: { limit: 10 } });
    const rts = await three({ auth: { enabled: true, keys: [k.entry] }, rateLimits: { windowMs: 60_000 } });
    try {
      const statuses = await roundRobin(rts, k.headers, 30);
      expect(statuses.filter((s) => s === 200).length).toBe(30);
    } finally {
      await closeAll(rts);
    }
  });

  it('shares the response cache: an answer computed on one instance is a hit on another', async () => {
    const [a, b] = await Promise.all([0, 1].map(() => startTestRuntime({ simulator: sim, redisUrl: redis.url, config: { cache: { enabled: true } } })));
    if (!a || !b) throw new Error('instances did not start');
    sim.reset();
    try {
      const body = { files: [{ path: 'shared.ts', content: `export const n = ${process.pid};\n` }] };
      const first = await postJson(`${a.url}/v1/plugins/code-review/review`, body);
      expect([first.status, first.headers.get('x-cache')]).toEqual([200, 'miss']);
      const second = await postJson(`${b.url}/v1/plugins/code-review/review`, body);
      expect([second.status, second.headers.get('x-cache')]).toEqual([200, 'hit']);
      expect(((await second.json()) as { result: unknown }).result).toEqual(((await first.json()) as { result: unknown }).result);
      expect(sim.messageRequests()).toHaveLength(1);
    } finally {
      await closeAll([a, b]);
    }
  });

  it('20 concurrent calls against a budget that fits 5: at most 5 run', async () => {
    const k = testKey('spender', { maxConcurrent: 50, budget: { dailyUsd: 0.5 } });
    const rts = await three({ auth: { enabled: true, keys: [k.entry] }, plugins: { 'code-review': { maxBudgetUsd: 0.1 } } }, redis.url);
    sim.reset();
    sim.setFallback({ auto: true, chunkDelayMs: 100 });
    try {
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => postJson(`${rts[i % 3]?.url}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'x' }] }, { headers: k.headers })),
      );
      const statuses = responses.map((r) => r.status);
      const ran = statuses.filter((s) => s === 200).length;
      expect(ran).toBeGreaterThan(0);
      expect(ran).toBeLessThanOrEqual(5);
      expect(statuses.filter((s) => s === 402).length).toBe(20 - ran);
      expect(sim.messageRequests().length).toBeLessThanOrEqual(5);
      const refused = (await responses[statuses.indexOf(402)]?.json()) as { code: string; detail: string };
      expect(refused.code).toBe('budget_exhausted');
      expect(refused.detail).toContain('daily budget of $0.5');
    } finally {
      sim.setFallback(undefined);
      await closeAll(rts);
    }
  });
});
