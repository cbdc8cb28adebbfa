import { FakeEngine, startRedis, unitRuntime, waitUntil, type TestRedis } from '@ccp/testing';
import { Redis } from 'ioredis';
import request from 'supertest';
import type { Runtime } from '../composition-root';
import { INSTANCE_ID, override } from '../tokens';

// Two runtimes (two replicas in one process, each with its own id) sharing one real
// redis-server: each lists both in GET /v1/status; one that stops leaves the other's list at
// once; and with Redis gone the status still answers, with this instance alone, until it is back.

const API_KEY = 'sk-ant-instances-0000000000';

describe('GET /v1/status lists every instance sharing a Redis', () => {
  let redis: TestRedis;
  const runtimes: Runtime[] = [];

  const replica = async (id: string) => {
    const rt = await unitRuntime(new FakeEngine(), {
      config: { auth: { enabled: false }, cache: { enabled: false } },
      secrets: { anthropicApiKey: API_KEY, redisUrl: redis.url },
      overrides: [override(INSTANCE_ID, id)],
    });
    runtimes.push(rt);
    return rt;
  };
  const status = async (rt: Runtime) => (await request(rt.app).get('/v1/status').expect(200)).body as { instanceId: string; instancesSource: string; instances: { instanceId: string; serving: boolean; ageSeconds: number; draining: boolean }[] };
  const listed = async (rt: Runtime) => (await status(rt)).instances.map((i) => [i.instanceId, i.serving]);

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    // Redis is back by now: a runtime disposed while it is away takes 5 s a hook that waits on it.
    for (const rt of runtimes) await rt.dispose();
    await redis?.stop();
  });

  it('shows each replica both, itself first and marked as serving; one that stops is gone at once', async () => {
    const a = await replica('replica-b');
    const b = await replica('replica-a');
    // Each published itself when it started: no wait.
    expect(await listed(a)).toEqual([['replica-b', true], ['replica-a', false]]);
    expect(await listed(b)).toEqual([['replica-a', true], ['replica-b', false]]);
    const seen = (await status(a)).instances[1];
    expect(seen).toMatchObject({ instanceId: 'replica-a', draining: false, breaker: { state: 'closed' }, admission: { running: 0, queued: 0 }, pool: { busy: 0 } });
    expect(seen?.ageSeconds).toBeGreaterThanOrEqual(0);
    expect((await status(a)).instancesSource).toBe('shared');

    // What is in Redis holds no secret: not the Anthropic key, not the Redis URL.
    const client = new Redis(redis.url);
    const stored = JSON.stringify(await client.hgetall('ccp:instance:replica-a'));
    await client.quit();
    expect(stored).toContain('replica-a');
    expect(stored).not.toContain(API_KEY);
    expect(stored).not.toContain(redis.url);

    await b.drain(1_000);
    expect(await listed(a)).toEqual([['replica-b', true]]);
  });

  it('answers 200 with this instance alone, the others unknown, while Redis is away; lists them again once it is back', async () => {
    const a = runtimes[0] as Runtime;
    const c = await replica('replica-c');
    expect(await listed(a)).toEqual([['replica-b', true], ['replica-c', false]]);
    await redis.stop();
    const body = await status(a);
    expect(body.instancesSource).toBe('unknown');
    expect(body.instances.map((i) => [i.instanceId, i.serving])).toEqual([['replica-b', true]]);
    expect(body.instanceId).toBe('replica-b');
    expect((await status(c)).instancesSource).toBe('unknown');
    redis = await startRedis({ port: redis.port });
    // An empty Redis: each instance is listed again at its next publication.
    expect(await waitUntil(async () => JSON.stringify(await listed(a)) === JSON.stringify([['replica-b', true], ['replica-c', false]]), 15_000, 200)).toBe(true);
    expect((await status(a)).instancesSource).toBe('shared');
  });
});
