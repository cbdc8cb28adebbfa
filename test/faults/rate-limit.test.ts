import { setTimeout as sleep } from 'node:timers/promises';
import { startSimulator, type Simulator } from '@ccp/testing';
import type { Answer } from './support/calls';
import { expectProblem, expectProblemBody, must } from './support/problems';
import { GOOD_CALL, Probe, PROBE_TIMEOUT_MS, saveUnfinishedProbes } from './support/probe';
import { bootServer, killLeftoverServers, type FaultServer } from './support/server';
import { invokeAll, openSocket } from './support/ws';

// A burst over the key's rate limit, sent at once over HTTP and over one WebSocket: exactly
// the limit is served, every other call is a 429 with Retry-After, and every one of them,
// served or refused, leaves its audit line.

const LIMIT = 5;
const BURST = 15;

describe('rate-limit bursts', () => {
  let sim: Simulator;
  let server: FaultServer;
  beforeAll(async () => {
    sim = await startSimulator();
    server = await bootServer({ simulator: sim, config: { rateLimits: { windowMs: 1000 } }, userKey: { rateLimit: { limit: LIMIT } } });
  });
  afterAll(async () => {
    saveUnfinishedProbes();
    killLeftoverServers();
    await sim.close();
  });

  /** Waits out the window the server named (Retry-After), so the key's next call is counted afresh. */
  const waitOut = (seconds: number | undefined) => sleep(Math.max(1, seconds ?? 1) * 1000 + 100);

  it(`over HTTP: ${BURST} calls at once at a limit of ${LIMIT}`, async () => {
    const p = new Probe('rate-limit burst over HTTP', server, `${BURST} concurrent calls of one key at its limit of ${LIMIT}`);
    for (const round of [1, 2]) {
      await p.attempt(`burst ${round}`, async () => {
        await waitOut(1); // a window of its own, whatever came before
        let retryAfter: number | undefined;
        try {
          const answers: Answer[] = await Promise.all(Array.from({ length: BURST }, (_, i) => p.post(`burst ${round} call ${i + 1}`, GOOD_CALL.path, GOOD_CALL.body)));
          const refused = answers.filter((a) => a.status === 429);
          retryAfter = Number(refused[0]?.headers['retry-after']) || undefined;
          const seen = { served: answers.filter((a) => a.status === 200).length, refused: refused.length, other: answers.filter((a) => a.status !== 200 && a.status !== 429).map((a) => a.status) };
          must(seen.served === LIMIT && seen.refused === BURST - LIMIT, 'the burst', { served: LIMIT, refused: BURST - LIMIT, other: [] }, seen);
          for (const a of refused) expectProblem(a, 'rate_limited', { retry: true });
          // Another /v1 route of the same key counts in the same bucket: refused, and not a call.
          expectProblem(await p.get('GET /v1/plugins in the spent window', '/v1/plugins'), 'rate_limited', { retry: true });
        } finally {
          await waitOut(retryAfter); // then the next good call is counted afresh
        }
      });
    }
    await waitOut(1);
    await p.finish({ agentCall: false });
  }, PROBE_TIMEOUT_MS);

  it(`over one WebSocket: ${BURST} invokes in one burst at a limit of ${LIMIT}`, async () => {
    const p = new Probe('rate-limit burst over WebSocket', server, `${BURST} invokes sent at once on one socket at a limit of ${LIMIT}`);
    const ws = await openSocket(p);
    try {
      for (const round of [1, 2]) {
        await p.attempt(`burst ${round}`, async () => {
          await waitOut(1); // a window of its own, whatever came before
          let retryAfter: number | undefined;
          try {
            const messages = Array.from({ length: BURST }, (_, i) => ({ type: 'invoke', id: `r${round}-${i + 1}`, plugin: 'commit-message', operation: 'write', input: GOOD_CALL.body }));
            const endings = await invokeAll(p, ws, messages, { label: `burst ${round}` });
            const refused = endings.filter((e) => e.problem?.code === 'rate_limited');
            retryAfter = refused[0]?.problem?.retryAfterSeconds;
            const seen = { served: endings.filter((e) => e.type === 'result').length, refused: refused.length, other: endings.filter((e) => e.type !== 'result' && e.problem?.code !== 'rate_limited').map((e) => e.problem?.code ?? e.type) };
            must(seen.served === LIMIT && seen.refused === BURST - LIMIT, 'the burst', { served: LIMIT, refused: BURST - LIMIT, other: [] }, seen);
            for (const e of refused) {
              expectProblemBody(e.problem, 'rate_limited');
              must((e.problem?.retryAfterSeconds ?? 0) > 0, 'retryAfterSeconds', 'a positive number', e.problem?.retryAfterSeconds);
            }
          } finally {
            await waitOut(retryAfter);
          }
        });
      }
    } finally {
      ws.terminate();
    }
    await waitOut(1);
    await p.finish({ shutdown: true });
  }, PROBE_TIMEOUT_MS);
});
