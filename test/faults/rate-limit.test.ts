import { setTimeout as sleep } from 'node:timers/promises';
import { startSimulator, type Simulator } from '@ccp/testing';
import type { Answer } from './support/calls';
import { expectProblem, expectProblemBody, must } from './support/problems';
import { GOOD_CALL, Probe, PROBE_TIMEOUT_MS, saveUnfinishedProbes } from './support/probe';
import { bootServer, killLeftoverServers, type FaultServer } from './support/server';
import { invokeAll, openSocket } from './support/ws';

// A burst over the key's rate limit, sent at once over HTTP and over one WebSocket: exactly
// the limit is served (on the socket, the limit less the upgrade, which counts as a request), every other call is a 429 with Retry-After, and every one of them,
// served or refused, leaves its audit line. Meanwhile another key is served; once the
// Retry-After has passed, the limited key is served again.

const LIMIT = 5;
const BURST = 15;
/** Long enough for a burst to land in one window on a busy machine. */
const WINDOW_MS = 3000;

describe('rate-limit bursts', () => {
  let sim: Simulator;
  let server: FaultServer;
  beforeAll(async () => {
    sim = await startSimulator();
    server = await bootServer({ simulator: sim, config: { rateLimits: { windowMs: WINDOW_MS } }, userKey: { rateLimit: { limit: LIMIT } } });
  });
  afterAll(async () => {
    saveUnfinishedProbes();
    await killLeftoverServers();
    await sim.close();
  });

  /** Sleeps until the window the server named (Retry-After) has passed. */
  const waitOut = (seconds: number | undefined) => sleep((seconds ?? WINDOW_MS / 1000) * 1000 + 100);

  /** After the burst: once Retry-After has passed, the limited key is served again. */
  const servedAgain = (p: Probe, retryAfter: () => number | undefined) =>
    p.attempt('the key once Retry-After has passed', async () => {
      await waitOut(retryAfter());
      const res = await p.post('the limited key after Retry-After', GOOD_CALL.path, GOOD_CALL.body);
      must(res.status === 200, 'the call', 200, `${res.status} ${res.text.slice(0, 120)}`);
    });

  it(`over HTTP: ${BURST} calls at once at a limit of ${LIMIT}`, async () => {
    const p = new Probe('rate-limit burst over HTTP', server, `${BURST} concurrent calls of one key at its limit of ${LIMIT}, then its next call`);
    let retryAfter: number | undefined;
    // The next good call of this try is another key's: this one has spent its window.
    await p.attempt('the burst', async () => {
      const answers: Answer[] = await Promise.all(Array.from({ length: BURST }, (_, i) => p.post(`burst call ${i + 1}`, GOOD_CALL.path, GOOD_CALL.body)));
      const refused = answers.filter((a) => a.status === 429);
      retryAfter = Number(refused[0]?.headers['retry-after']) || undefined;
      const seen = { served: answers.filter((a) => a.status === 200).length, refused: refused.length, other: answers.filter((a) => a.status !== 200 && a.status !== 429).map((a) => a.status) };
      must(seen.served === LIMIT && seen.refused === BURST - LIMIT, 'the burst', { served: LIMIT, refused: BURST - LIMIT, other: [] }, seen);
      for (const a of refused) expectProblem(a, 'rate_limited', { retry: true });
      // Another /v1 route of the same key counts in the same bucket: refused, and not a call.
      expectProblem(await p.get('GET /v1/plugins in the spent window', '/v1/plugins'), 'rate_limited', { retry: true });
    }, { goodCall: 'admin' });
    await servedAgain(p, () => retryAfter);
    await p.finish({ agentCall: false });
  }, PROBE_TIMEOUT_MS);

  it(`over one WebSocket: ${BURST} invokes in one burst at a limit of ${LIMIT}`, async () => {
    const p = new Probe('rate-limit burst over WebSocket', server, `${BURST} invokes sent at once on one socket at a limit of ${LIMIT}, then its next call`);
    await waitOut(undefined); // a window of its own, whatever came before
    const ws = await openSocket(p);
    let retryAfter: number | undefined;
    try {
      await p.attempt('the burst', async () => {
        const messages = Array.from({ length: BURST }, (_, i) => ({ type: 'invoke', id: `b${i + 1}`, plugin: 'commit-message', operation: 'write', input: GOOD_CALL.body }));
        const endings = await invokeAll(p, ws, messages, { label: 'burst' });
        const refused = endings.filter((e) => e.problem?.code === 'rate_limited');
        retryAfter = refused[0]?.problem?.retryAfterSeconds;
        const seen = { served: endings.filter((e) => e.type === 'result').length, refused: refused.length, other: endings.filter((e) => e.type !== 'result' && e.problem?.code !== 'rate_limited').map((e) => e.problem?.code ?? e.type) };
        // The socket's upgrade was one request of the window, so one invoke fewer is served.
        must(seen.served === LIMIT - 1 && seen.refused === BURST - LIMIT + 1, 'the burst', { served: LIMIT - 1, refused: BURST - LIMIT + 1, other: [] }, seen);
        for (const e of refused) {
          expectProblemBody(e.problem, 'rate_limited');
          must((e.problem?.retryAfterSeconds ?? 0) > 0, 'retryAfterSeconds', 'a positive number', e.problem?.retryAfterSeconds);
        }
      }, { goodCall: 'admin' });
    } finally {
      ws.terminate();
    }
    await servedAgain(p, () => retryAfter);
    await p.finish({ shutdown: true });
  }, PROBE_TIMEOUT_MS);
});
