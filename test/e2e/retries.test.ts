import { postJson, startTestRuntime, type TestRuntime } from '@ccp/testing';

// Transient API failures are retried by the CLI itself (claude.maxRetries) inside one
// query; each retry is counted, and the breaker sees only the query's final outcome.

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
});
