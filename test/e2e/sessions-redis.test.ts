import { Redis } from 'ioredis';
import { postJson, startRedis, startSimulator, startTestRuntime, waitUntil, type Simulator, type TestRedis, type TestRuntime } from '@ccp/testing';

// Sessions shared through a real redis-server: a conversation started on instance A
// continues on instance B, and on A again after A restarts.

describe('sessions across instances with Redis', () => {
  let redis: TestRedis;
  let sim: Simulator;
  beforeAll(async () => {
    redis = await startRedis();
    sim = await startSimulator();
  });
  afterAll(async () => {
    await sim.close();
    await redis.stop();
  });

  const start = (rt: TestRuntime) => postJson(`${rt.url}/v1/plugins/code-review/sessions`, { input: { files: [{ path: 'a.ts', content: 'x' }] } });
  const say = (rt: TestRuntime, id: string, text: string) => postJson(`${rt.url}/v1/sessions/${id}/messages`, { text });

  it('continues on another instance and after a restart, with the whole history', async () => {
    let a = await startTestRuntime({ simulator: sim, redisUrl: redis.url });
    const b = await startTestRuntime({ simulator: sim, redisUrl: redis.url });
    try {
      sim.enqueue({ blocks: [{ type: 'text', text: 'TURN-ONE-ANSWER' }, { type: 'tool_use', name: 'StructuredOutput', input: { summary: 's', findings: [], filesReviewed: ['a.ts'] } }] });
      const created = await start(a);
      expect(created.status).toBe(201);
      const { sessionId } = (await created.json()) as { sessionId: string };

      sim.enqueue({ blocks: [{ type: 'text', text: 'TURN-TWO-ANSWER' }] });
      const onB = await say(b, sessionId, 'TURN-TWO-QUESTION asked on B');
      expect(onB.status).toBe(200);
      const seenByB = JSON.stringify(sim.messageRequests().at(-1)?.messages);
      expect(seenByB).toContain('TURN-ONE-ANSWER');
      expect(seenByB).toContain('TURN-TWO-QUESTION asked on B');

      await a.close();
      a = await startTestRuntime({ simulator: sim, redisUrl: redis.url });
      const onRestartedA = await say(a, sessionId, 'TURN-THREE-QUESTION after restart');
      expect(onRestartedA.status).toBe(200);
      const seenByA = JSON.stringify(sim.messageRequests().at(-1)?.messages);
      for (const text of ['TURN-ONE-ANSWER', 'TURN-TWO-QUESTION asked on B', 'TURN-TWO-ANSWER', 'TURN-THREE-QUESTION after restart']) {
        expect(seenByA).toContain(text);
      }
      const info = (await (await fetch(`${a.url}/v1/sessions/${sessionId}`)).json()) as { turns: number };
      expect(info.turns).toBe(3);
      // The readable log of the turns, kept in Redis: B reads the turn A answered after its restart.
      const log = (await (await fetch(`${b.url}/v1/sessions/${sessionId}/turns`)).json()) as { turns: { turn: number; operation: string; input: unknown; result: unknown }[] };
      expect(log.turns.map((t) => [t.turn, t.operation, t.input])).toEqual([
        [1, 'review', { files: [{ path: 'a.ts', content: 'x' }] }],
        [2, 'message', { text: 'TURN-TWO-QUESTION asked on B' }],
        [3, 'message', { text: 'TURN-THREE-QUESTION after restart' }],
      ]);
      expect(log.turns[0]?.result).toMatchObject({ summary: 's', filesReviewed: ['a.ts'] });
      expect(log.turns[1]?.result).toEqual({ text: 'TURN-TWO-ANSWER' });
      // In Redis the log is a list expiring with the session, and deleted with it.
      const raw = new Redis(redis.url);
      try {
        const ttl = await raw.pttl(`ccp:session-turns:${sessionId}`);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(3_600_000);
        expect(await raw.llen(`ccp:session-turns:${sessionId}`)).toBe(3);
        expect((await fetch(`${b.url}/v1/sessions/${sessionId}`, { method: 'DELETE' })).status).toBe(204);
        expect(await raw.exists(`ccp:session-turns:${sessionId}`)).toBe(0);
      } finally {
        await raw.quit();
      }
      const ready = (await (await fetch(`${b.url}/health/ready`)).json()) as { components: { sharedState: unknown } };
      expect(ready.components.sharedState).toEqual({ status: 'ok', kind: 'redis' });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('expires an idle session after its TTL, in Redis as in memory', async () => {
    for (const redisUrl of [redis.url, undefined]) {
      const rt = await startTestRuntime({ simulator: sim, redisUrl, config: { sessions: { ttlMs: 800 } } });
      try {
        const created = await postJson(`${rt.url}/v1/plugins/code-review/sessions`, {});
        expect(created.status).toBe(201);
        const { sessionId } = (await created.json()) as { sessionId: string };
        const read = () => fetch(`${rt.url}/v1/sessions/${sessionId}`);
        expect((await read()).status).toBe(200);
        // Reading a session does not refresh its TTL: poll until the store has let it go.
        expect(await waitUntil(async () => (await read()).status === 404, 10_000, 100)).toBe(true);
        const gone = await read();
        expect(gone.status).toBe(404);
        expect(((await gone.json()) as { code: string }).code).toBe('session_not_found');
      } finally {
        await rt.close();
      }
    }
  });
});
