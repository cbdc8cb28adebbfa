import { createParser } from 'eventsource-parser';
import { postJson, processesUnder, startTestRuntime, waitUntil, type TestRuntime } from '@ccp/testing';

// Background jobs with the real CLI against the simulator: submit, poll, stream (and resume),
// Idempotency-Key, cancel.

const review = { files: [{ path: 'a.ts', content: 'export const a = 1;\n' }] };
const RESERVATION = 0.5;
const ASYNC = { prefer: 'respond-async' };

interface Sse { id: number; event: string; data: Record<string, unknown> }

/** Reads a job's event stream with its SSE ids; `stopAfter` closes it after that many events. */
async function jobEvents(rt: TestRuntime, id: string, headers: Record<string, string> = {}, stopAfter = Infinity): Promise<Sse[]> {
  const client = new AbortController();
  const res = await fetch(`${rt.url}/v1/jobs/${id}/events`, { headers, signal: client.signal });
  expect(res.status).toBe(200);
  const events: Sse[] = [];
  const parser = createParser({ onEvent: (e) => void events.push({ id: Number(e.id), event: e.event ?? 'message', data: JSON.parse(e.data) as Record<string, unknown> }) });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  while (events.length < stopAfter) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
  }
  if (events.length >= stopAfter) client.abort();
  return events.slice(0, stopAfter);
}

async function job(rt: TestRuntime, id: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${rt.url}/v1/jobs/${id}`)).json()) as Record<string, unknown>;
}

async function settled(rt: TestRuntime, id: string): Promise<Record<string, unknown>> {
  let body: Record<string, unknown> = {};
  await waitUntil(async () => ['succeeded', 'failed', 'cancelled'].includes(String((body = await job(rt, id)).state)), 30_000, 100);
  return body;
}

async function spentToday(rt: TestRuntime): Promise<number> {
  return rt.runtime.state.counters.get(`spend:key:anonymous:day:${new Date().toISOString().slice(0, 10)}`);
}

describe('background jobs (real CLI)', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ config: { budgets: { reservationUsd: RESERVATION } } });
  });
  afterAll(() => rt.close());
  beforeEach(() => rt.simulator.reset());

  it('answers Prefer: respond-async with 202 at once, then the result by polling and by SSE', async () => {
    rt.simulator.setFallback({ auto: true, chunkDelayMs: 50 });
    const sent = Date.now();
    const res = await postJson(`${rt.url}/v1/plugins/code-review/review`, review, { headers: ASYNC });
    expect(Date.now() - sent).toBeLessThan(1000);
    expect(res.status).toBe(202);
    const submitted = (await res.json()) as { id: string; state: string };
    expect(res.headers.get('location')).toBe(`/v1/jobs/${submitted.id}`);
    expect(res.headers.get('preference-applied')).toBe('respond-async');
    expect(submitted.state).toBe('queued');
    const events = await jobEvents(rt, submitted.id);
    expect(events[0]?.event).toBe('start');
    expect(events.at(-1)?.event).toBe('result');
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    const done = await settled(rt, submitted.id);
    expect(done).toMatchObject({ state: 'succeeded', result: { result: { summary: expect.any(String) }, usage: { costUsd: expect.any(Number) } } });
    expect(events.at(-1)?.data).toEqual(done.result);
    expect((done.progress as { turns: number }).turns).toBeGreaterThan(0);
  });

  it('runs one job for the same Idempotency-Key twice, and refuses another body with 422', async () => {
    const headers = { ...ASYNC, 'idempotency-key': 'e2e-key-1' };
    const first = await postJson(`${rt.url}/v1/plugins/code-review/review`, review, { headers });
    expect(first.status).toBe(202);
    const { id } = (await first.json()) as { id: string };
    await settled(rt, id);
    const conversations = rt.simulator.messageRequests().length;
    expect(conversations).toBeGreaterThan(0);
    const again = await postJson(`${rt.url}/v1/jobs`, { plugin: 'code-review', operation: 'review', input: review }, { headers: { 'idempotency-key': 'e2e-key-1' } });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(id);
    const other = await postJson(`${rt.url}/v1/plugins/code-review/review`, { files: [{ path: 'b.ts', content: 'let b;\n' }] }, { headers });
    expect(other.status).toBe(422);
    expect(((await other.json()) as { code: string }).code).toBe('idempotency_key_reused');
    // Neither the replay nor the refused body made a job, so nothing can still start a run.
    const listed = (await (await fetch(`${rt.url}/v1/jobs`)).json()) as { jobs: { id: string; state: string }[] };
    expect(listed.jobs.filter((j) => j.state === 'queued' || j.state === 'running')).toEqual([]);
    expect(listed.jobs.map((j) => j.id)).toContain(id);
    expect(rt.simulator.messageRequests()).toHaveLength(conversations);
  });

  it('cancels a running job: its claude process ends within 2 s, it is settled below the reservation', async () => {
    const before = await spentToday(rt);
    // test-helper writes a file first (one whole API response), then asks again: that request hangs.
    rt.simulator.enqueue({ auto: true }, { hang: true });
    const res = await postJson(`${rt.url}/v1/jobs`, { plugin: 'test-helper', operation: 'generate-tests', input: { ...review, framework: 'jest' } });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await rt.simulator.waitForMessageRequests(2, 30_000);
    expect(processesUnder(rt.workspaceRoot).length).toBeGreaterThan(0);
    expect((await job(rt, id)).state).toBe('running');
    const cancelledAt = Date.now();
    const cancel = await fetch(`${rt.url}/v1/jobs/${id}`, { method: 'DELETE' });
    expect(cancel.status).toBe(200);
    const body = (await cancel.json()) as { state: string; error: { code: string }; progress: { costUsd: number } };
    expect(body).toMatchObject({ state: 'cancelled', error: { code: 'job_cancelled' } });
    expect(await waitUntil(() => processesUnder(rt.workspaceRoot).length === 0, Math.max(0, 2000 - (Date.now() - cancelledAt)), 25)).toBe(true);
    const spent = (await spentToday(rt)) - before;
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBeLessThan(RESERVATION);
    expect(body.progress.costUsd).toBeGreaterThan(0);
    expect(body.progress.costUsd).toBeLessThan(RESERVATION);
    const events = await jobEvents(rt, id);
    expect(events.at(-1)).toMatchObject({ event: 'error', data: { code: 'job_cancelled' } });
  });

  it('resumes a job stream after Last-Event-ID with the rest and no duplicates', async () => {
    rt.simulator.setFallback({ auto: true, chunkDelayMs: 150 });
    const res = await postJson(`${rt.url}/v1/plugins/code-review/review`, review, { headers: ASYNC });
    const { id } = (await res.json()) as { id: string };
    const head = await jobEvents(rt, id, {}, 1);
    expect(head.map((e) => [e.id, e.event])).toEqual([[1, 'start']]);
    const rest = await jobEvents(rt, id, { 'last-event-id': '1' });
    expect(rest[0]?.id).toBe(2);
    expect(rest.map((e) => e.id)).toEqual(rest.map((_, i) => i + 2));
    expect(rest.at(-1)?.event).toBe('result');
    const all = await jobEvents(rt, id);
    expect([...head, ...rest]).toEqual(all);
  });
});
