import { FakeClaudeClient } from '@ccp/testing';
import request from 'supertest';
import { codeReviewPlugin } from '@ccp/plugin-code-review';
import { createRuntime, type Runtime } from '../composition-root';
import { parseConfig } from '../config/load-config';
import { cacheKey, type CacheStore } from './response-cache';
import { AuditLog } from '../audit/audit-log';
import { OperationInvoker } from '../invoke/invoker';
import { CallGuard } from '../limits/guard';
import { MemoryCounters } from '../limits/counters';
import { createLogger } from '../logging/logger';
import { Metrics } from '../metrics/metrics';
import { buildRegistry } from '../plugins/build-registry';

const review = { files: [{ path: 'a.ts', content: 'x' }] };
const output = { summary: 's', findings: [], filesReviewed: ['a.ts'] };

async function runtime(client: FakeClaudeClient, cache: Record<string, unknown> = {}, builtins = [codeReviewPlugin]): Promise<Runtime> {
  return createRuntime({
    config: parseConfig({ logging: { level: 'silent' }, auth: { enabled: false }, cache, plugins: { 'code-review': {} } }),
    secrets: { anthropicApiKey: 'sk-ant-unit-0000000000' },
    claudeClient: client,
    builtins,
  });
}
const post = (rt: Runtime, body: object = review, headers: Record<string, string> = {}) => request(rt.app).post('/v1/plugins/code-review/review').set(headers).send(body);

describe('response cache', () => {
  it('misses, then hits without a query; a hit costs nothing; no-cache bypasses', async () => {
    const client = new FakeClaudeClient({ output });
    const rt = await runtime(client);
    try {
      const miss = await post(rt).expect(200);
      expect(miss.headers['x-cache']).toBe('miss');
      const hit = await post(rt).expect(200);
      expect(hit.headers['x-cache']).toBe('hit');
      expect(hit.body.result).toEqual(miss.body.result);
      expect(hit.body.usage).toMatchObject({ inputTokens: 0, outputTokens: 0, costUsd: 0 });
      expect(client.requests).toHaveLength(1);
      const bypass = await post(rt, review, { 'cache-control': 'no-cache' }).expect(200);
      expect(bypass.headers['x-cache']).toBe('bypass');
      expect(client.requests).toHaveLength(2);
      await post(rt, { files: [{ path: 'a.ts', content: 'y' }] }).expect(200);
      expect(client.requests).toHaveLength(3);
      const metrics = await rt.metrics.registry.metrics();
      expect(metrics).toContain('ccp_cache_requests_total{plugin="code-review",result="hit"} 1');
      expect(metrics).toContain('ccp_cache_requests_total{plugin="code-review",result="bypass"} 1');
    } finally {
      await rt.dispose();
    }
  });

  it('expires entries after the TTL', async () => {
    const client = new FakeClaudeClient({ output });
    const rt = await runtime(client, { ttlMs: 150 });
    try {
      await post(rt).expect(200);
      await new Promise((r) => setTimeout(r, 250));
      expect((await post(rt)).headers['x-cache']).toBe('miss');
      expect(client.requests).toHaveLength(2);
    } finally {
      await rt.dispose();
    }
  });

  it('never serves an answer across plugin versions', async () => {
    const client = new FakeClaudeClient({ output });
    const first = await runtime(client);
    const bumped = { ...codeReviewPlugin, version: '1.0.1' };
    try {
      const a = await runtime(client, {}, [codeReviewPlugin]);
      const b = await runtime(client, {}, [bumped]);
      const keyOf = (rt: Runtime) => {
        const p = rt.registry.get('code-review');
        const op = p?.operations.get('review');
        if (!p || !op) throw new Error('missing');
        return cacheKey(p, op, op.definition.input.parse(review));
      };
      expect(keyOf(a)).toBe(keyOf(first));
      expect(keyOf(b)).not.toBe(keyOf(a));
      await a.dispose();
      await b.dispose();
    } finally {
      await first.dispose();
    }
  });

  it('does not cache plugins that may write, nor session turns', async () => {
    const client = new FakeClaudeClient({ output: { testFiles: [], cases: [], notes: '' } });
    const rt = await createRuntime({
      config: parseConfig({ logging: { level: 'silent' }, auth: { enabled: false } }),
      secrets: { anthropicApiKey: 'sk-ant-unit-0000000000' },
      claudeClient: client,
    });
    try {
      expect(rt.registry.get('test-helper')?.cacheable).toBe(false);
      expect(rt.registry.get('code-review')?.cacheable).toBe(true);
      const body = { files: [{ path: 'a.ts', content: 'x' }], framework: 'jest' };
      await request(rt.app).post('/v1/plugins/test-helper/generate-tests').send(body).expect(200);
      await request(rt.app).post('/v1/plugins/test-helper/generate-tests').send(body).expect(200);
      expect(client.requests).toHaveLength(2);
    } finally {
      await rt.dispose();
    }
  });
});

describe('response cache failures', () => {
  it('never fail the call: a broken store is read around and written past', async () => {
    const config = parseConfig({ logging: { level: 'silent' }, auth: { enabled: false }, plugins: { 'code-review': {} } });
    const logger = createLogger('silent');
    const client = new FakeClaudeClient({ output });
    const broken: CacheStore = { get: () => Promise.reject(new Error('redis down')), set: () => Promise.reject(new Error('redis down')) };
    const invoker = new OperationInvoker(
      buildRegistry(config, [codeReviewPlugin], '.'),
      client,
      { anthropicApiKey: 'sk-ant-unit-0000000000' },
      logger,
      new CallGuard(new MemoryCounters(), config),
      new AuditLog(logger),
      { store: broken, ttlMs: 1000, metrics: new Metrics({ defaultMetrics: false }) },
    );
    const body = await invoker.invoke('code-review', 'review', review, { requestId: 'r1' });
    expect(body.result).toMatchObject(output);
    expect(client.requests).toHaveLength(1);
  });
});
