import { setTimeout as sleep } from 'node:timers/promises';
import { startSimulator, waitUntil, type Simulator } from '@ccp/testing';
import { liveWithin } from './support/liveness';
import { must } from './support/problems';
import { Probe, PROBE_TIMEOUT_MS, saveUnfinishedProbes } from './support/probe';
import { bootServer, killLeftoverServers, type FaultServer } from './support/server';
import { dropConnections, holdConnections, lifetimes, type HeldConnection, type Trickle } from './support/sockets';

// Connections that hold the server's sockets without finishing a request: 400 idle ones,
// slow headers (slowloris) and slow bodies. The server keeps answering /health/live within
// a second and serving calls meanwhile, and ends each such connection once
// server.requestTimeoutMs has passed (a second or two late at most, not half a minute).

const REQUEST_TIMEOUT_MS = 3000;
/** How late past requestTimeoutMs a connection may be cut. */
const LATE_MS = 2000;

describe('idle and slow connections', () => {
  let sim: Simulator;
  let server: FaultServer;
  beforeAll(async () => {
    sim = await startSimulator();
    server = await bootServer({ simulator: sim, config: { server: { requestTimeoutMs: REQUEST_TIMEOUT_MS } } });
  });
  afterAll(async () => {
    saveUnfinishedProbes();
    await killLeftoverServers();
    await sim.close();
  });

  /** Two tries: the server serves while they are held, and it cuts each in time. */
  async function hold(p: Probe, n: number, trickle: Trickle, expectTimeoutAnswer: boolean): Promise<void> {
    let held: HeldConnection[] = [];
    try {
      await p.attempt(`answers while ${n} are held`, async () => {
        held = await holdConnections(server.url, n, trickle);
        // Half a second in, then at the timeout: /health/live on a fresh connection each time.
        await sleep(500);
        for (let i = 0; i < 3; i++) await liveWithin(server.url);
        const open = held.filter((h) => h.closedAt === undefined).length;
        must(open === n, 'connections still open before requestTimeoutMs', n, open);
      });
      await p.attempt(`cuts each within requestTimeoutMs + ${LATE_MS / 1000} s`, async () => {
        const deadline = Math.max(...held.map((h) => h.openedAt)) + REQUEST_TIMEOUT_MS + LATE_MS;
        await waitUntil(() => held.every((h) => h.closedAt !== undefined), Math.max(0, deadline - Date.now()), 50);
        const times = lifetimes(held);
        const late = times.filter((t) => t === undefined || t > REQUEST_TIMEOUT_MS + LATE_MS).length;
        const early = times.filter((t) => t !== undefined && t < REQUEST_TIMEOUT_MS - 500).length;
        const closed = times.filter((t): t is number => t !== undefined);
        must(late === 0 && early === 0, 'connections cut', `all ${n} between ${REQUEST_TIMEOUT_MS - 500} and ${REQUEST_TIMEOUT_MS + LATE_MS} ms`, { late, early, slowestMs: closed.length ? Math.max(...closed) : null, stillOpen: times.filter((t) => t === undefined).length });
        if (expectTimeoutAnswer) {
          const answered = held.filter((h) => h.received.startsWith('HTTP/1.1 408')).length;
          must(answered === n, 'answered 408 Request Timeout', n, answered);
        }
      });
    } finally {
      dropConnections(held);
    }
  }

  it('400 idle connections', async () => {
    const p = new Probe('400 idle connections', server, 'the server under 400 connections that send nothing');
    await hold(p, 400, {}, false);
    await p.finish({ agentCall: false });
  }, PROBE_TIMEOUT_MS);

  it('slow headers (slowloris)', async () => {
    const p = new Probe('slow headers (slowloris)', server, 'the server under 100 clients sending a header line every 500 ms');
    await hold(p, 100, { first: 'GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n', then: 'X-Slow: 1\r\n', everyMs: 500 }, true);
    await p.finish({ agentCall: false });
  }, PROBE_TIMEOUT_MS);

  it('slow bodies', async () => {
    const p = new Probe('slow bodies', server, 'the server under 50 clients sending a JSON body a byte every 500 ms');
    await hold(p, 50, { first: 'POST /v1/nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a":"', then: 'x', everyMs: 500 }, true);
    await p.finish({ shutdown: true });
  }, PROBE_TIMEOUT_MS);
});
