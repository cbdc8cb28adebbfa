import { FakeEngine, LogCapture, testKey, unitRuntime, waitUntil } from '@ccp/testing';
import request from 'supertest';
import { codeReviewPlugin } from '@ccp/plugin-code-review';
import type { Runtime } from '../../composition-root';
import { MemoryCacheStore, type CacheStore } from '../../state/cache-store';
import { CACHE_STORE, override } from '../../tokens';
import { cacheKey } from './response-cache';

const review = { files: [{ path: 'a.ts', content: 'x' }] };
const output = { summary: 's', findings: [], filesReviewed: ['a.ts'] };

function runtime(engine: FakeEngine, config: Record<string, unknown> = {}, builtins = [codeReviewPlugin], log?: LogCapture): Promise<Runtime> {
  return unitRuntime(engine, { config: { auth: { enabled: false }, cache: {}, ...config, ...(log ? { logging: { level: 'info' } } : {}) }, builtins, logDestination: log });
}
const post = (rt: Runtime, body: object = review, headers: Record<string, string> = {}) => request(rt.app).post('/v1/plugins/code-review/review').set(headers).send(body);

describe('response cache', () => {
  it('misses, then hits without a query; a hit costs nothing; no-cache bypasses', async () => {
    const engine = new FakeEngine({ output });
    const rt = await runtime(engine);
    try {
      const miss = await post(rt).expect(200);
      expect(miss.headers['x-cache']).toBe('miss');
      const hit = await post(rt).expect(200);
      expect(hit.headers['x-cache']).toBe('hit');
      expect(hit.body.result).toEqual(miss.body.result);
      expect(hit.body.usage).toMatchObject({ inputTokens: 0, outputTokens: 0, costUsd: 0 });
      expect(engine.requests).toHaveLength(1);
      const bypass = await post(rt, review, { 'cache-control': 'no-cache' }).expect(200);
      expect(bypass.headers['x-cache']).toBe('bypass');
      expect(engine.requests).toHaveLength(2);
      await post(rt, { files: [{ path: 'a.ts', content: 'y' }] }).expect(200);
      expect(engine.requests).toHaveLength(3);
      const metrics = await rt.metrics.registry.metrics();
      expect(metrics).toContain('ccp_cache_requests_total{plugin="code-review",result="hit"} 1');
      expect(metrics).toContain('ccp_cache_requests_total{plugin="code-review",result="bypass"} 1');
    } finally {
      await rt.dispose();
    }
  });

  it('audits a cache hit as one line and counts it against the per-plugin rate limit', async () => {
    const log = new LogCapture();
    const engine = new FakeEngine({ output });
    const rt = await runtime(engine, { rateLimits: { plugins: { 'code-review': { limit: 3 } } } }, [codeReviewPlugin], log);
    try {
      await post(rt).expect(200);
      expect((await post(rt).expect(200)).headers['x-cache']).toBe('hit');
      await post(rt).expect(200);
      const refused = await post(rt).expect(429);
      expect(refused.body.code).toBe('rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(log.audit.map((l) => l.outcome)).toEqual(['success', 'cache_hit', 'cache_hit', 'rate_limited']);
      expect(log.audit[1]).toMatchObject({ plugin: 'code-review', operation: 'review', transport: 'http', costUsd: 0, inputTokens: 0 });
      expect(engine.requests).toHaveLength(1);
    } finally {
      await rt.dispose();
    }
  });

  it('keeps the answers of each key to itself unless cache.scope is global', async () => {
    const alice = testKey('alice');
    const bob = testKey('bob');
    for (const [scope, second] of [['key', 'miss'], ['global', 'hit']] as const) {
      const engine = new FakeEngine({ output });
      const rt = await unitRuntime(engine, { config: { auth: { keys: [alice.entry, bob.entry] }, cache: { scope } }, builtins: [codeReviewPlugin] });
      try {
        expect((await post(rt, review, alice.headers).expect(200)).headers['x-cache']).toBe('miss');
        expect((await post(rt, review, alice.headers).expect(200)).headers['x-cache']).toBe('hit');
        expect((await post(rt, review, bob.headers).expect(200)).headers['x-cache']).toBe(second);
      } finally {
        await rt.dispose();
      }
    }
  });

  it('expires entries after the TTL', async () => {
    const engine = new FakeEngine({ output });
    const entries = new MemoryCacheStore(10);
    const written: string[] = [];
    const store: CacheStore = {
      get: (key) => entries.get(key),
      set: (key, value, ttlMs) => {
        written.push(key);
        return entries.set(key, value, ttlMs);
      },
    };
    const rt = await unitRuntime(engine, { config: { auth: { enabled: false }, cache: { ttlMs: 150 } }, builtins: [codeReviewPlugin], overrides: [override(CACHE_STORE, store)] });
    try {
      await post(rt).expect(200);
      expect(written).toHaveLength(1);
      // Waits until the entry has expired in the store (its TTL is 150 ms), not for a guessed time.
      expect(await waitUntil(async () => (await entries.get(written[0] ?? '')) === undefined, 5_000, 10)).toBe(true);
      expect((await post(rt)).headers['x-cache']).toBe('miss');
      expect(engine.requests).toHaveLength(2);
    } finally {
      await rt.dispose();
    }
  });

  it('never serves an answer across plugin versions', async () => {
    const engine = new FakeEngine({ output });
    const bumped = { ...codeReviewPlugin, version: '1.0.1' };
    const a = await runtime(engine, {}, [codeReviewPlugin]);
    const b = await runtime(engine, {}, [bumped]);
    try {
      const keyOf = (rt: Runtime) => {
        const p = rt.registry.get('code-review');
        const op = p?.operations.get('review');
        if (!p || !op) throw new Error('missing');
        return cacheKey(p, op, op.definition.input.parse(review));
      };
      expect(keyOf(b)).not.toBe(keyOf(a));
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });

  it('does not cache plugins that may write, nor session turns', async () => {
    const engine = new FakeEngine({ output: { testFiles: [], cases: [], notes: '' } });
    const rt = await unitRuntime(engine, { config: { auth: { enabled: false } } });
    try {
      expect(rt.registry.get('test-helper')?.cacheable).toBe(false);
      expect(rt.registry.get('code-review')?.cacheable).toBe(true);
      const body = { files: [{ path: 'a.ts', content: 'x' }], framework: 'jest' };
      await request(rt.app).post('/v1/plugins/test-helper/generate-tests').send(body).expect(200);
      await request(rt.app).post('/v1/plugins/test-helper/generate-tests').send(body).expect(200);
      expect(engine.requests).toHaveLength(2);
    } finally {
      await rt.dispose();
    }
  });
});

describe('response cache failures', () => {
  it('never fail the call: a broken store is read around and written past', async () => {
    const engine = new FakeEngine({ output });
    const broken: CacheStore = { get: () => Promise.reject(new Error('redis down')), set: () => Promise.reject(new Error('redis down')) };
    const rt = await unitRuntime(engine, { config: { auth: { enabled: false } }, builtins: [codeReviewPlugin], overrides: [override(CACHE_STORE, broken)] });
    try {
      const body = await post(rt).expect(200);
      expect(body.body.result).toMatchObject(output);
      await post(rt).expect(200);
      expect(engine.requests).toHaveLength(2);
    } finally {
      await rt.dispose();
    }
  });
});
