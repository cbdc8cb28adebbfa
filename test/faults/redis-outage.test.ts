import { startSimulator, type Simulator } from '@ccp/testing';
import type { Answer } from './support/calls';
import { auditLineOf, gate, newSession, readyWithin, review } from './support/helpers';
import { expectProblem, expectProblemBody, must } from './support/problems';
import { GOOD_CALL, Probe, PROBE_TIMEOUT_MS, saveUnfinishedProbes } from './support/probe';
import { ProbeRedis } from './support/redis';
import { bootServer, killLeftoverServers, type FaultServer } from './support/server';
import { refusedUpgrade } from './support/ws';

// Redis (a real redis-server) killed, restarted and frozen under a running server: every
// route that needs it answers at once with a typed 503 shared_state_unavailable and a
// Retry-After (a call among them audited), a session turn whose record cannot be saved
// is a 503 with its spend still audited, and once Redis is back calls succeed again
// without a restart. The status, which on-call reads during the outage, still answers 200:
// this instance, the others unknown. A server stopped while Redis is down still exits 0.

/** A refusal during an outage must come at once, not after reconnect attempts. */
const REFUSED_WITHIN_MS = 1000;
/** A store that accepts connections but never answers can only be given up on: within a few seconds, not never. */
const GIVEN_UP_WITHIN_MS = 3000;
/** A server stopped during an outage: its drain (nothing in flight) plus the shutdown hooks that wait on Redis, each cut at 5 s. */
const STOPPED_WITHIN_MS = 20_000;

describe('Redis outage', () => {
  let sim: Simulator;
  let redis: ProbeRedis;
  let server: FaultServer;
  beforeAll(async () => {
    sim = await startSimulator();
    redis = await ProbeRedis.start();
    server = await bootServer({ simulator: sim, redisUrl: redis.url });
  });
  afterAll(async () => {
    saveUnfinishedProbes();
    await killLeftoverServers();
    await redis.stop();
    await sim.close();
  });

  /** A typed 503 with Retry-After, in time. */
  const refusedAtOnce = (res: Answer, withinMs = REFUSED_WITHIN_MS) => {
    expectProblem(res, 'shared_state_unavailable', { retry: true });
    must(res.ms < withinMs, 'the refusal', `within ${withinMs} ms`, `${res.ms} ms`);
  };
  const givenUp = (res: Answer) => refusedAtOnce(res, GIVEN_UP_WITHIN_MS);
  /** GET /v1/status during an outage: 200 with this instance alone, the others unknown, in time. */
  const statusAlone = (res: Answer, withinMs: number) => {
    must(res.status === 200, 'the status', 200, `${res.status} ${res.text.slice(0, 150)}`);
    const instances = (res.json?.instances ?? []) as { serving: boolean }[];
    must(res.json?.instancesSource === 'unknown' && instances.length === 1 && instances[0]?.serving === true, 'the instances', 'this one alone, the others unknown', { source: res.json?.instancesSource, instances: instances.length });
    must(res.ms < withinMs, 'the status', `within ${withinMs} ms`, `${res.ms} ms`);
  };

  it('killed, then restarted on the same port', async () => {
    const p = new Probe('Redis killed and restarted', server, 'one route or transport while Redis is down, then calls once it is back');
    const sessionId = await newSession(p);
    await redis.kill();
    const down = { goodCall: false };
    await p.attempt('GET /v1/plugins (not a call)', async () => refusedAtOnce(await p.get('GET /v1/plugins', '/v1/plugins')), down);
    await p.attempt('an operation on the messages engine', async () => refusedAtOnce(await p.post('commit-message', GOOD_CALL.path, GOOD_CALL.body)), down);
    await p.attempt('an operation on the agent engine', async () => refusedAtOnce(await p.post('code-review', '/v1/plugins/code-review/review', review())), down);
    await p.attempt('a session start with a first input', async () => refusedAtOnce(await p.post('session start', '/v1/plugins/code-review/sessions', { operation: 'review', input: review() })), down);
    await p.attempt('a session message', async () => refusedAtOnce(await p.post('session message', `/v1/sessions/${sessionId}/messages`, { text: 'still there?' })), down);
    // The upgrade counts against the key's request rate, which lives in Redis: it is refused
    // at once with the typed 503 (before, the socket opened and its invoke got the 503).
    await p.attempt('a WebSocket upgrade', async () => {
      const started = Date.now();
      const refused = await refusedUpgrade(p);
      must(refused.status === 503, 'the upgrade', 503, refused.status);
      expectProblemBody(refused.body, 'shared_state_unavailable');
      must(Date.now() - started < REFUSED_WITHIN_MS, 'the refusal', `within ${REFUSED_WITHIN_MS} ms`, `${Date.now() - started} ms`);
    }, down);
    await p.attempt('GET /v1/status (on-call) while Redis is down', async () => statusAlone(await p.get('GET /v1/status', '/v1/status'), REFUSED_WITHIN_MS), down);
    await p.attempt('/health/ready while Redis is down', async () => {
      const res = await p.get('/health/ready', '/health/ready');
      must(res.status === 503, '/health/ready', 503, res.status);
    }, down);
    await redis.restart();
    await p.attempt('back: a session started and continued, no restart', async () => {
      await readyWithin(p, 10_000);
      const started = await p.post('session start', '/v1/plugins/code-review/sessions', { operation: 'review', input: review() });
      must(started.status === 201, 'the session start', 201, `${started.status} ${started.text.slice(0, 150)}`);
      const next = await p.post('session message', `/v1/sessions/${String(started.json?.sessionId)}/messages`, { text: 'and now?' });
      must(next.status === 200, 'the message', 200, `${next.status} ${next.text.slice(0, 150)}`);
    });
    await p.finish();
  }, PROBE_TIMEOUT_MS);

  it('killed while a session turn is answering', async () => {
    const p = new Probe('Redis killed during a session turn', server, 'a session turn whose record cannot be saved, then one once Redis is back');
    await p.attempt('the turn ends with a typed 503 and its spend audited', async () => {
      const sessionId = await newSession(p);
      const held = gate();
      sim.setFallback({ auto: true, after: held.promise });
      try {
        const before = sim.messageRequests().length;
        const turn = p.post('the turn', `/v1/sessions/${sessionId}/messages`, { text: 'explain' }, { spend: 'any' });
        await sim.waitForMessageRequests(before + 1);
        await redis.kill();
        held.open();
        const res = await turn;
        expectProblem(res, 'shared_state_unavailable', { retry: true });
        const line = await auditLineOf(p, res.requestId);
        must(line.costUsd > 0 && (line.spendBasis === 'reported' || line.spendBasis === 'observed'), 'the audited spend of the answered turn', 'its cost, > $0', { costUsd: line.costUsd, basis: line.spendBasis });
      } finally {
        held.open();
        sim.setFallback(undefined);
        await redis.restart();
      }
    }, { goodCall: false });
    await p.attempt('back: the next turn of a new session', async () => {
      await readyWithin(p, 10_000);
      const sessionId = await newSession(p);
      const res = await p.post('a turn', `/v1/sessions/${sessionId}/messages`, { text: 'hello' });
      must(res.status === 200, 'the turn', 200, `${res.status} ${res.text.slice(0, 150)}`);
    });
    await p.finish({ agentCall: false });
  }, PROBE_TIMEOUT_MS);

  it('killed, then the server stopped (SIGTERM) while it is down', async () => {
    // A server of its own: it is stopped during the outage, and the others need theirs.
    const own = await bootServer({ simulator: sim, redisUrl: redis.url });
    const p = new Probe('SIGTERM during a Redis outage', own, `the server stopped while Redis is down: it exits 0 within ${STOPPED_WITHIN_MS / 1000} s, not never`);
    await redis.kill();
    try {
      await p.attempt('a call while Redis is down', async () => refusedAtOnce(await p.post('commit-message', GOOD_CALL.path, GOOD_CALL.body)), { goodCall: false });
      // Closing the job queue and the Redis connection waits for a Redis that is not there:
      // each shutdown hook has a time limit, so the process still exits, and exits 0.
      own.sigterm();
      await p.finish({ shutdown: true, shutdownWithinMs: STOPPED_WITHIN_MS });
    } finally {
      await redis.restart();
    }
  }, PROBE_TIMEOUT_MS);

  it('frozen (SIGSTOP), then thawed', async () => {
    const p = new Probe('Redis frozen', server, `one call while Redis accepts connections but never answers: a 503 within ${GIVEN_UP_WITHIN_MS / 1000} s`);
    redis.freeze();
    try {
      const frozen = { goodCall: false };
      const bounded = { timeoutMs: 5000 };
      // Sent together: a server that waits on the frozen store holds them all at once.
      await Promise.all([
        p.attempt('GET /v1/plugins (not a call)', async () => givenUp(await p.get('GET /v1/plugins', '/v1/plugins', bounded)), frozen),
        p.attempt('an operation', async () => givenUp(await p.post('commit-message', GOOD_CALL.path, GOOD_CALL.body, bounded)), frozen),
        p.attempt('a session start', async () => givenUp(await p.post('session start', '/v1/plugins/code-review/sessions', {}, { ...bounded, call: false })), frozen),
        p.attempt('GET /v1/status (on-call)', async () => statusAlone(await p.get('GET /v1/status', '/v1/status', bounded), GIVEN_UP_WITHIN_MS), frozen),
      ]);
    } finally {
      redis.thaw();
    }
    await p.attempt('thawed: calls succeed', async () => readyWithin(p, 10_000));
    await p.finish({ shutdown: true });
  }, PROBE_TIMEOUT_MS);
});
