import { spawnSync } from 'node:child_process';
import { postJson, startTestRuntime, type TestRuntime } from '@ccp/testing';

// /metrics from a live instance, after real queries, passes `promtool check metrics`
// (from Debian's prometheus package; .ci/run installs it).

describe('/metrics', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(() => rt.close());

  it('exports every platform metric and passes promtool check metrics', async () => {
    const post = (body: unknown) => postJson(`${rt.url}/v1/plugins/code-review/review`, body);
    expect((await post({ files: [{ path: 'a.ts', content: 'x' }] })).status).toBe(200);
    expect((await post({ nope: true })).status).toBe(400);
    const res = await fetch(`${rt.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    for (const name of [
      'ccp_http_request_duration_seconds_bucket',
      'ccp_claude_queries_total',
      'ccp_claude_query_duration_seconds_bucket',
      'ccp_claude_time_to_first_token_seconds_bucket',
      'ccp_claude_tokens_total',
      'ccp_claude_cost_usd_total',
      'ccp_claude_cost_recomputed_usd_total',
      'ccp_admission_queue_wait_seconds_bucket',
      'ccp_claude_queries_in_flight',
      'ccp_circuit_breaker_state',
      'process_cpu_user_seconds_total',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toContain('ccp_claude_queries_total{plugin="code-review",outcome="success"} 1');
    expect(text).toMatch(/ccp_claude_query_duration_seconds_bucket\{le="600",plugin="code-review",outcome="success"\} 1/);
    expect(text).not.toContain('sk-ant-test');
    // The SDK's estimate and the price-table recomputation, side by side, for the same query.
    const sdk = Number(/ccp_claude_cost_usd_total\{plugin="code-review"\} ([\d.e-]+)/.exec(text)?.[1]);
    const recomputed = Number(/ccp_claude_cost_recomputed_usd_total\{plugin="code-review",model="[^"]+"\} ([\d.e-]+)/.exec(text)?.[1]);
    expect(sdk).toBeGreaterThan(0);
    expect(recomputed).toBeGreaterThan(0);

    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (promtool.error) throw new Error(`promtool is required (apt-get install prometheus): ${promtool.error.message}`);
    expect({ status: promtool.status, output: `${promtool.stdout}${promtool.stderr}` }).toEqual({ status: 0, output: '' });
  });
});
