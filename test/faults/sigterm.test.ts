import { startSimulator, waitUntil, type Simulator } from '@ccp/testing';
import type WebSocket from 'ws';
import { billed } from './support/billing';
import { rawRequest, type CallRecord } from './support/calls';
import { auditLineOf, newSession } from './support/helpers';
import { submitWatchedJob } from './support/jobs';
import { expectProblem, expectProblemBody, must } from './support/problems';
import { GOOD_CALL, Probe, PROBE_TIMEOUT_MS, saveUnfinishedProbes } from './support/probe';
import { bootServer, killLeftoverServers, type FaultServer } from './support/server';
import { sseCall } from './support/sse';
import { invokeAll, openSocket } from './support/ws';

// SIGTERM to a real server process with an SSE call, a WebSocket call, a session turn and
// a background job running: readiness turns 503 at once, /health/live keeps answering, new
// calls on every transport get 503 shutting_down (audited), the running calls finish within
// server.shutdownGraceMs (or are ended with shutting_down after it, settled at what the
// stream showed), and the process exits 0 leaving no claude process and no workspace.

const OP = '/v1/plugins/code-review/review';
const files = (name: string) => ({ files: [{ path: name, content: `export const ${name.replace(/\W/g, '_')} = 1;\n` }] });

describe('SIGTERM with live calls', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    saveUnfinishedProbes();
    await killLeftoverServers();
    await sim.close();
  });

  /** Starts one call on each transport; resolves once each has reached the model. */
  async function startRunning(p: Probe, ws: WebSocket, tag: string, spend: 'reported' | 'any') {
    const session = await newSession(p);
    const idle = await newSession(p);
    const running = {
      sse: sseCall(p, 'the running SSE call', OP, files(`${tag}-sse.ts`), { spend }),
      ws: invokeAll(p, ws, [{ type: 'invoke', id: `${tag}-ws`, plugin: 'code-review', operation: 'review', input: files(`${tag}-ws.ts`) }], { timeoutMs: 60_000, spend, label: 'the running' }),
      turn: p.post('the running session turn', `/v1/sessions/${session}/messages`, { text: `${tag}-turn` }, { spend, timeoutMs: 60_000 }),
      job: await submitWatchedJob(p, 'the running job', OP, files(`${tag}-job.ts`), spend),
    };
    const markers = ['sse.ts', 'ws.ts', 'turn', 'job.ts'].map((m) => `${tag}-${m}`);
    const reached = await waitUntil(() => markers.every((m) => sim.messageRequests().some((r) => JSON.stringify(r.messages).includes(m))), 30_000, 50);
    must(reached, 'the running calls', 'each asking the model', markers.filter((m) => !sim.messageRequests().some((r) => JSON.stringify(r.messages).includes(m))));
    return { running, idle, markers };
  }

  /** The new calls a draining instance must refuse, one try each. */
  async function refusesNewCalls(p: Probe, ws: WebSocket, idleSession: string): Promise<void> {
    const off = { goodCall: false };
    await p.attempt('readiness turns 503 at once', async () => {
      const ok = await waitUntil(async () => (await rawRequest(p.server.url, { method: 'GET', path: '/health/ready', timeoutMs: 1000 })).status === 503, 1000, 20);
      must(ok, '/health/ready', '503 within 1 s of SIGTERM', 'still 200');
    }, off);
    await p.attempt('a new HTTP call', async () => expectProblem(await p.post('a new call', GOOD_CALL.path, GOOD_CALL.body), 'shutting_down'), off);
    await p.attempt('a new SSE call', async () => {
      const { call } = await sseCall(p, 'a new SSE call', OP, files('late-sse.ts'));
      must(call.code === 'shutting_down' && call.status === 503, 'the answer', '503 shutting_down', `${call.status} ${call.code}`);
    }, off);
    await p.attempt('a new WebSocket invoke', async () => {
      const [end] = await invokeAll(p, ws, [{ type: 'invoke', id: `late-${Date.now()}`, plugin: 'commit-message', operation: 'write', input: GOOD_CALL.body }], { timeoutMs: 5000, label: 'a new' });
      expectProblemBody(end?.problem, 'shutting_down');
    }, off);
    await p.attempt('a new session turn', async () => expectProblem(await p.post('a new turn', `/v1/sessions/${idleSession}/messages`, { text: 'late' }), 'shutting_down'), off);
    await p.attempt('a new job', async () => expectProblem(await p.post('a new job', OP, files('late-job.ts'), { headers: { prefer: 'respond-async' } }), 'shutting_down'), off);
  }

  it('within the grace time: new calls refused, running ones finish, exit 0, nothing left', async () => {
    sim.setFallback({ auto: true, chunkDelayMs: 60 });
    const server: FaultServer = await bootServer({ simulator: sim, config: { server: { shutdownGraceMs: 30_000 }, pool: { enabled: true, sparesPerOperation: 0, maxProcesses: 4 } } });
    const p = new Probe('SIGTERM with live SSE, WebSocket, session and job calls', server, 'a new call refused, or a running call finishing, while the server drains');
    const ws = await openSocket(p);
    try {
      const { running, idle } = await startRunning(p, ws, 'drain', 'reported');
      server.sigterm();
      await refusesNewCalls(p, ws, idle);
      const off = { goodCall: false };
      const finished = (call: CallRecord | undefined) => {
        if (call) p.claim(call);
        must(call?.code === 'success', 'the running call', 'its result', `${call?.status} ${call?.code}`);
      };
      await p.attempt('the running SSE call finishes', async () => finished((await running.sse).call), off);
      await p.attempt('the running WebSocket call finishes', async () => finished((await running.ws)[0]?.call), off);
      await p.attempt('the running session turn finishes', async () => finished((await running.turn).call), off);
      await p.attempt('the running job finishes', async () => finished((await running.job.ended).call), off);
    } finally {
      ws.terminate();
      sim.setFallback(undefined);
    }
    await p.finish({ shutdownWithinMs: 30_000 });
  }, PROBE_TIMEOUT_MS);

  it('past the grace time: the running calls end with shutting_down, settled at what the stream showed', async () => {
    // Each answer starts at once (its input tokens are billed), then streams far slower than the grace time.
    sim.setFallback({ auto: true, chunkDelayMs: 2000 });
    const server: FaultServer = await bootServer({ simulator: sim, config: { server: { shutdownGraceMs: 1500 } } });
    const p = new Probe('SIGTERM past the grace time', server, 'a new call refused, or a running call ended, while the server drains');
    const ws = await openSocket(p);
    try {
      const { running, idle, markers } = await startRunning(p, ws, 'cut', 'any');
      server.sigterm();
      await refusesNewCalls(p, ws, idle);
      const off = { goodCall: false };
      const cut = async (call: CallRecord | undefined, marker: string, problem?: unknown) => {
        if (!call) throw new Error('no call');
        p.claim(call);
        must(call.code === 'shutting_down' && call.status === 503, 'the running call', '503 shutting_down', `${call.status} ${call.code}`);
        if (problem !== undefined) expectProblemBody(problem, 'shutting_down');
        const expected = billed(sim.messageRequests().filter((r) => JSON.stringify(r.messages).includes(marker)), 'started');
        const line = await auditLineOf(p, call.requestId as string);
        const got = { costUsd: line.costUsd, inputTokens: line.inputTokens, outputTokens: line.outputTokens, basis: line.spendBasis };
        must(JSON.stringify(got) === JSON.stringify(expected), 'the audited spend', expected, got);
      };
      await p.attempt('the running SSE call is ended', async () => {
        const { call, events } = await running.sse;
        await cut(call, markers[0] as string, events.at(-1)?.data);
      }, off);
      await p.attempt('the running WebSocket call is ended', async () => {
        const [end] = await running.ws;
        await cut(end?.call, markers[1] as string, end?.problem);
      }, off);
      await p.attempt('the running session turn is ended', async () => {
        const res = await running.turn;
        await cut(res.call, markers[2] as string, res.json);
      }, off);
      await p.attempt('the running job is ended', async () => {
        const { call, events } = await running.job.ended;
        await cut(call, markers[3] as string, events.at(-1)?.data);
      }, off);
    } finally {
      ws.terminate();
      sim.setFallback(undefined);
    }
    await p.finish({ shutdownWithinMs: 15_000 });
  }, PROBE_TIMEOUT_MS);
});
