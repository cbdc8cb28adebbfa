import { postJson, readEventStream, startTestRuntime, type TestRuntime } from '@ccp/testing';

// Transient API failures before any output are retried by the CLI itself (claude.maxRetries)
// inside one query; each retry is counted, and the breaker sees only the query's final
// outcome. A response that breaks after output began is never asked again: a streaming
// caller would get part of one answer followed by another.

describe('retries', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ config: { claude: { maxRetries: 2 } } });
  });
  afterAll(() => rt.close());

  it('529 twice then success: one answer, two retries counted, breaker untouched', async () => {
    rt.simulator.enqueue({ fault: 529 }, { fault: 529 });
    const res = await postJson(`${rt.url}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'x' }] });
    expect(res.status).toBe(200);
    expect(rt.simulator.messageRequests()).toHaveLength(3);
    const metrics = await rt.runtime.metrics.registry.metrics();
    expect(metrics).toContain('ccp_claude_api_retries_total{plugin="code-review",status="529"} 2');
    expect(metrics).toContain('ccp_claude_queries_total{plugin="code-review",outcome="success"} 1');
    expect(metrics).not.toContain('outcome="overloaded"');
  });

  it("waits as long as the API's Retry-After asks before retrying", async () => {
    rt.simulator.reset();
    rt.simulator.enqueue({ fault: 529, retryAfterSeconds: 2 });
    const res = await postJson(`${rt.url}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'x' }] });
    expect(res.status).toBe(200);
    const [first, second] = rt.simulator.messageRequests();
    // A lower bound only: a slow machine makes the gap longer, never shorter.
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(2_000);
  });

  it('a failure after streaming began is not retried: the stream ends with upstream_interrupted', async () => {
    rt.simulator.reset();
    rt.simulator.enqueue({ failMidStream: 'The first half of a review that never' });
    const res = await postJson(`${rt.url}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'x' }] }, { headers: { accept: 'text/event-stream' } });
    expect(res.status).toBe(200);
    const events = await readEventStream(res);
    const kinds = events.map((e) => e.event);
    expect(kinds).toContain('text');
    expect(kinds.at(-1)).toBe('error');
    expect(kinds).not.toContain('result');
    expect((events.at(-1)?.data as { code?: string }).code).toBe('upstream_interrupted');
    // The text the caller saw is all of one API response; nothing was asked again.
    const text = events.filter((e) => e.event === 'text').map((e) => (e.data as { text: string }).text).join('');
    expect(text).toBe('The first half of a review that never');
    expect(rt.simulator.messageRequests()).toHaveLength(1);
    const metrics = await rt.runtime.metrics.registry.metrics();
    expect(metrics).toContain('ccp_claude_queries_total{plugin="code-review",outcome="interrupted"} 1');
  });

  it('a JSON caller gets one typed error for the same failure, with no second request', async () => {
    rt.simulator.reset();
    rt.simulator.enqueue({ failMidStream: 'Half an answer' });
    const res = await postJson(`${rt.url}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'x' }] });
    // The simulated stream broke with an overloaded_error: a typed 503 the caller may retry.
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).not.toBeNull();
    expect(((await res.json()) as { code: string }).code).toBe('upstream_overloaded');
    expect(rt.simulator.messageRequests()).toHaveLength(1);
    // The next call is answered normally.
    expect((await postJson(`${rt.url}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'y' }] })).status).toBe(200);
  });
});
