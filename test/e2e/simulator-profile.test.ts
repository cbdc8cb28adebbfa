import { postJson, startTestRuntime, type TestRuntime } from '@ccp/testing';

// The simulator's latency profile against the real CLI: the model's Glob turn is run by the
// CLI in the workspace, and its result comes back in the next request.
describe('a latency profile drives the real CLI through a read-tool turn', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
    rt.simulator.setProfile({ name: 'quick', firstByteMs: 100, eventIntervalMs: 2, toolTurns: ['Glob'] });
  });
  afterAll(() => rt.close());

  it('calls Glob, gets the workspace listing back, then answers; each turn waits its first byte', async () => {
    const res = await postJson(`${rt.url}/v1/plugins/code-review/review`, { files: [{ path: 'src/profiled.ts', content: 'export const a = 1;\n' }] });
    expect(res.status).toBe(200);
    const [glob, answer, ...rest] = rt.simulator.messageRequests();
    expect(rest).toEqual([]);
    expect(glob?.reply?.find((b) => b.type === 'tool_use')).toMatchObject({ name: 'Glob', input: { pattern: '**/*' } });
    const results = (answer?.messages.at(-1)?.content ?? []) as { type: string; content: unknown }[];
    expect(JSON.stringify(results.find((b) => b.type === 'tool_result')?.content)).toContain('src/profiled.ts');
    expect(answer?.reply?.find((b) => b.type === 'tool_use')).toMatchObject({ name: 'StructuredOutput' });
    for (const r of [glob, answer]) {
      expect(r?.modelMs).toBeGreaterThan(100);
      expect((r?.completedAt ?? 0) - (r?.at ?? 0)).toBeGreaterThanOrEqual(100);
    }
  });
});
