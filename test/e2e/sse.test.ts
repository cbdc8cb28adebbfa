import { processesUnder, postJson, readEventStream, startTestRuntime, waitUntil, type TestRuntime } from '@ccp/testing';

// Server-Sent Events with the real CLI and a simulator that streams slowly.

const review = { files: [{ path: 'a.ts', content: 'export const a = 1;\n' }] };
const stream = (rt: TestRuntime, body: unknown, signal?: AbortSignal) => postJson(`${rt.url}/v1/plugins/code-review/review`, body, { headers: { accept: 'text/event-stream' }, signal });

async function inFlight(rt: TestRuntime): Promise<number> {
  return (await rt.runtime.metrics.inFlight.get()).values.reduce((t, v) => t + v.value, 0);
}

describe('SSE streams', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(() => rt.close());
  beforeEach(() => rt.simulator.reset());

  it('delivers text before the model has finished, in order, ending with the same result as JSON', async () => {
    rt.simulator.enqueue({ auto: true, chunkDelayMs: 120 });
    const res = await stream(rt, review);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = await readEventStream(res);
    const kinds = events.map((e) => e.event);
    expect(kinds[0]).toBe('start');
    expect(kinds.at(-1)).toBe('result');
    expect(kinds.filter((k) => k === 'result' || k === 'error')).toHaveLength(1);
    expect(kinds.slice(1, -1).every((k) => k === 'text' || k === 'tool')).toBe(true);
    expect(kinds.filter((k) => k === 'text').length).toBeGreaterThan(3);
    expect(events[0]?.data).toMatchObject({ requestId: expect.any(String), sessionId: expect.any(String) });

    const firstText = events.find((e) => e.event === 'text');
    const simulated = rt.simulator.messageRequests()[0];
    expect(firstText?.at).toBeLessThan(simulated?.completedAt ?? 0);

    rt.simulator.enqueue({ auto: true });
    const plain = (await (await postJson(`${rt.url}/v1/plugins/code-review/review`, review)).json()) as Record<string, unknown>;
    const streamed = events.at(-1)?.data as Record<string, unknown>;
    expect(streamed.result).toEqual(plain.result);
    expect(Object.keys(streamed).sort()).toEqual(Object.keys(plain).sort());
  });

  it('ends with one error event when the API fails, and refuses bad input before streaming', async () => {
    rt.simulator.setFallback({ fault: 500 });
    const events = await readEventStream(await stream(rt, review));
    expect(events.map((e) => e.event)).toEqual(['start', 'error']);
    expect(events[1]?.data).toMatchObject({ code: 'upstream_error', status: 502 });

    const bad = await stream(rt, { files: [] });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
  });

  it('a client that disconnects mid-stream ends the query and its claude process', async () => {
    rt.simulator.enqueue({ auto: true, chunkDelayMs: 400 });
    const client = new AbortController();
    const res = await stream(rt, review, client.signal);
    await readEventStream(res, (e) => e.event !== 'text').catch(() => undefined);
    expect(processesUnder(rt.workspaceRoot).length).toBeGreaterThan(0);
    client.abort();
    expect(await waitUntil(() => processesUnder(rt.workspaceRoot).length === 0, 5000)).toBe(true);
    expect(await waitUntil(async () => (await inFlight(rt)) === 0, 5000)).toBe(true);
  });
});
