import { postJson, startTestRuntime, waitUntil, type TestRuntime } from '@ccp/testing';

// The circuit breaker against a simulator that answers 529 (overloaded): it opens after
// the threshold, fails fast without calling the API, and closes again once healthy.

const RESET_MS = 3000;

async function review(rt: TestRuntime) {
  const res = await postJson(`${rt.url}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'x' }] });
  return { res, body: (await res.json()) as { code?: string; result?: unknown } };
}

describe('circuit breaker with the real CLI', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({
      config: { breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: RESET_MS, rollingWindowMs: 60_000 } },
    });
  });
  afterAll(() => rt.close());

  it('opens after repeated 529s, then answers 503 + Retry-After without calling the API', async () => {
    rt.simulator.setFallback({ fault: 529 });
    for (let i = 0; i < 2; i++) {
      const { res, body } = await review(rt);
      expect(res.status).toBe(503);
      expect(body.code).toBe('upstream_overloaded');
    }
    const seen = rt.simulator.messageRequests().length;
    expect(seen).toBeGreaterThanOrEqual(2);

    const { res, body } = await review(rt);
    expect(res.status).toBe(503);
    expect(body.code).toBe('circuit_open');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(RESET_MS / 1000);
    // Failing fast: nothing reached the API (and so no claude process ran).
    expect(rt.simulator.messageRequests().length).toBe(seen);

    const ready = (await (await fetch(`${rt.url}/health/ready`)).json()) as { components: { circuitBreaker: { state: string } } };
    expect(ready.components.circuitBreaker.state).toBe('open');
    expect(await rt.runtime.metrics.registry.metrics()).toContain('ccp_circuit_breaker_state 2');
  });

  it('closes again after the reset period once the API is healthy', async () => {
    rt.simulator.setFallback(undefined);
    expect(await waitUntil(async () => (await rt.runtime.metrics.breakerState.get()).values[0]?.value === 1, RESET_MS + 2000)).toBe(true);
    const { res, body } = await review(rt);
    expect(res.status).toBe(200);
    expect(body.result).toBeDefined();
    expect(await rt.runtime.metrics.registry.metrics()).toContain('ccp_circuit_breaker_state 0');
  });
});
