import { postJson, startTestRuntime, type TestRuntime } from '@ccp/testing';

// Admission control in front of the breaker, with the real CLI: a cap of 2 running and a
// queue of 2 turn a burst of 10 into 4 answers and 6 immediate 503s, and the breaker stays closed.

describe('admission control', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ config: { admission: { maxConcurrent: 2, queueSize: 2, retryAfterSeconds: 3 }, breaker: { volumeThreshold: 2 } } });
  });
  afterAll(() => rt.close());

  it('answers 4 of 10 concurrent requests and refuses 6 at once with Retry-After', async () => {
    rt.simulator.setFallback({ auto: true, chunkDelayMs: 80 });
    const sent = Date.now();
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const res = await postJson(`${rt.url}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'x' }] });
        const body = (await res.json()) as { code?: string };
        return { status: res.status, code: body.code, retryAfter: res.headers.get('retry-after'), at: Date.now() - sent };
      }),
    );
    rt.simulator.setFallback(undefined);
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 503);
    expect({ ok: ok.length, refused: refused.length }).toEqual({ ok: 4, refused: 6 });
    expect(refused.every((r) => r.code === 'at_capacity' && r.retryAfter === '3')).toBe(true);
    // Refused at once: every refusal came back before the first answer did.
    expect(Math.max(...refused.map((r) => r.at))).toBeLessThan(Math.min(...ok.map((r) => r.at)));
    const metrics = await rt.runtime.metrics.registry.metrics();
    expect(metrics).toContain('ccp_circuit_breaker_state 0');
    expect(metrics).toContain('ccp_admission_rejected_total{plugin="code-review"} 6');
    expect(metrics).toContain('ccp_admission_limit{kind="in_flight"} 2');
    expect(metrics).toMatch(/ccp_admission_running 0\n/);
  });
});
