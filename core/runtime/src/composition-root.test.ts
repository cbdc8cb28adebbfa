import { codeReviewPlugin } from '@ccp/plugin-code-review';
import { FakeEngine, LogCapture, testKey, unitRuntime } from '@ccp/testing';
import request from 'supertest';
import { MissingDependenciesError } from './composition-root';
import { ConfigError } from './config/load-config';

const review = { files: [{ path: 'a.ts', content: 'x' }] };
const output = { summary: 's', findings: [], filesReviewed: ['a.ts'] };

async function bootError(run: () => Promise<unknown>): Promise<Error> {
  try {
    const rt = (await run()) as { dispose(): Promise<void> };
    await rt.dispose();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the boot to fail');
}

describe('composition root', () => {
  it('builds the real chain around an engine given for one token', async () => {
    const engine = new FakeEngine({ output });
    const rt = await unitRuntime(engine, { config: { auth: { enabled: false }, admission: { maxConcurrent: 3 } } });
    try {
      await request(rt.app).post('/v1/plugins/code-review/review').send(review).expect(200);
      const text = await rt.metrics.registry.metrics();
      // the metered decorator counted the query, admission its limit, the breaker its state
      expect(text).toContain('ccp_claude_queries_total{plugin="code-review",outcome="success"} 1');
      expect(text).toContain('ccp_admission_limit{kind="in_flight"} 3');
      expect(text).toContain('ccp_circuit_breaker_state 0');
      expect(engine.requests[0]?.engine).toBe('agent');
    } finally {
      await rt.dispose();
    }
  });

  it('fails boot naming every plugin id in limits, budgets and keys that names no plugin', async () => {
    const key = testKey('ci', { plugins: ['code-reveiw'] });
    const err = await bootError(() =>
      unitRuntime(new FakeEngine(), {
        config: { auth: { keys: [key.entry] }, admission: { plugins: { 'doc-gen': 2 } }, rateLimits: { plugins: { 'test-helpr': { limit: 5 } } }, budgets: { plugins: { 'migration': { dailyUsd: 5 } } } },
      }),
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      expect.stringContaining('admission.plugins.doc-gen: no plugin "doc-gen"'),
      expect.stringContaining('rateLimits.plugins.test-helpr: no plugin "test-helpr"'),
      expect.stringContaining('budgets.plugins.migration: no plugin "migration"'),
      expect.stringContaining('auth.keys.0.plugins (key "ci"): no plugin "code-reveiw"'),
    ]);
  });

  it('allows a disabled plugin in limits, with a warning', async () => {
    const log = new LogCapture();
    const rt = await unitRuntime(new FakeEngine(), { config: { logging: { level: 'warn' }, plugins: { 'doc-generator': { enabled: false } }, budgets: { plugins: { 'doc-generator': { dailyUsd: 5 } } } }, logDestination: log });
    await rt.dispose();
    expect(log.lines.map((l) => l.msg)).toContainEqual(expect.stringContaining('budgets.plugins.doc-generator: plugin "doc-generator" is disabled'));
  });

  it('fails boot when a plugin needs an engine that is not registered', async () => {
    const needsOther = { ...codeReviewPlugin, id: 'terse-review', engine: 'batch' };
    const err = await bootError(() => unitRuntime(new FakeEngine(), { builtins: [codeReviewPlugin, needsOther] }));
    expect(err).toBeInstanceOf(MissingDependenciesError);
    expect((err as MissingDependenciesError).missing).toEqual(['plugins.terse-review: engine "batch" is not available (available: agent, messages)']);
  });

  it('builds independent runtimes that can live in one process', async () => {
    const a = await unitRuntime(new FakeEngine({ output }), { config: { auth: { enabled: false } } });
    const b = await unitRuntime(new FakeEngine({ output }), { config: { auth: { enabled: false } } });
    try {
      await request(a.app).post('/v1/plugins/code-review/review').send(review).expect(200);
      expect(await a.metrics.registry.metrics()).toContain('ccp_claude_queries_total{plugin="code-review",outcome="success"} 1');
      expect(await b.metrics.registry.metrics()).not.toContain('ccp_claude_queries_total{plugin="code-review",outcome="success"} 1');
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });
});
