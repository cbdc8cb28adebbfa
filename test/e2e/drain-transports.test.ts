import { existsSync, readdirSync } from 'node:fs';
import WebSocket from 'ws';
import { postJson, processesUnder, readEventStream, startSimulator, startTestRuntime, type Simulator } from '@ccp/testing';

// Drain through the lifecycle, whatever the transport: while an instance drains, a new HTTP
// call, SSE call, WebSocket invoke and session message are each refused with 503
// shutting_down before anything reaches the model; the calls already running (an SSE review
// from the warm pool, a session turn) finish with their result; drain returns only once
// every session lock is free and every pool process and spare (even one still starting) is
// gone, leaving no claude process and no workspace. Twenty rounds, so a race shows.

const ROUNDS = 20;
const CANARY = 'REFUSED_DURING_DRAIN';
const review = (content: string) => ({ files: [{ path: 'a.ts', content }] });

function nextMessage(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) => ws.once('message', (m) => resolve(JSON.parse(String(m)) as Record<string, unknown>)));
}

describe('drain refuses every transport alike and waits for whole calls', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
    // Slow enough that the running calls are still streaming while the refusals are tried.
    sim.setFallback({ auto: true, chunkDelayMs: 60 });
  });
  afterAll(() => sim.close());

  it(`holds for ${ROUNDS} rounds`, async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      const rt = await startTestRuntime({ simulator: sim, config: { pool: { enabled: true, sparesPerOperation: 1, maxProcesses: 4 }, server: { shutdownGraceMs: 30_000 } } });
      try {
        const base = rt.url;
        const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/ws`);
        await new Promise((r) => ws.once('open', r));
        const session = async () => ((await (await postJson(`${base}/v1/plugins/code-review/sessions`, {})).json()) as { sessionId: string }).sessionId;
        const [busy, idle] = [await session(), await session()];

        const before = sim.messageRequests().length;
        const stream = postJson(`${base}/v1/plugins/code-review/review`, review(`running ${round}`), { headers: { accept: 'text/event-stream' } }).then((r) => readEventStream(r));
        const turn = postJson(`${base}/v1/sessions/${busy}/messages`, { text: `running turn ${round}` });
        await sim.waitForMessageRequests(before + 2);

        const drained = rt.runtime.drain(30_000);
        let drainDone = false;
        void drained.then(() => (drainDone = true));
        const refusedHttp = await postJson(`${base}/v1/plugins/code-review/review`, review(CANARY));
        const refusedSse = await postJson(`${base}/v1/plugins/code-review/review`, review(CANARY), { headers: { accept: 'text/event-stream' } });
        const refusedTurn = await postJson(`${base}/v1/sessions/${idle}/messages`, { text: CANARY });
        const wsReply = nextMessage(ws);
        ws.send(JSON.stringify({ type: 'invoke', id: 'late', plugin: 'code-review', operation: 'review', input: review(CANARY) }));
        for (const res of [refusedHttp, refusedSse, refusedTurn]) {
          expect(res.status).toBe(503);
          expect(((await res.json()) as { code: string }).code).toBe('shutting_down');
        }
        expect(await wsReply).toMatchObject({ type: 'error', id: 'late', problem: { code: 'shutting_down', status: 503 } });
        expect(drainDone).toBe(false); // the running calls are still running

        const events = await stream;
        expect(events.at(-1)?.event).toBe('result');
        expect((await turn).status).toBe(200);
        await drained;
        // Every lock is free, every process and spare gone, every workspace removed.
        const release = await rt.runtime.state.sessions.lock(busy, 1000);
        expect(release).toBeDefined();
        await release?.();
        expect(processesUnder(rt.workspaceRoot)).toEqual([]);
        expect(existsSync(rt.workspaceRoot) ? readdirSync(rt.workspaceRoot) : []).toEqual([]);
        expect(sim.messageRequests().filter((r) => JSON.stringify(r.body).includes(CANARY))).toEqual([]);
        ws.terminate();
      } finally {
        await rt.close();
      }
    }
  }, ROUNDS * 30_000);
});
