import { freePort, startRedis, startTestRuntime, testKey, waitUntil, type TestRedis } from '@ccp/testing';
import { ANONYMOUS, createSharedState, parseConfig } from '@ccp/runtime';
import { RequestRateLimit } from '../../core/runtime/src/limits/rate-limits';

// Redis that does not answer yet when the platform starts (a compose or Kubernetes start
// order): requests are refused with 503 meanwhile, and counted again once Redis answers.
// The process must not die of the store's failed first script load.

describe('rate limits on a Redis that comes up late', () => {
  let redis: TestRedis | undefined;
  afterEach(async () => {
    await redis?.stop();
    redis = undefined;
  });

  it('refuses a call with 503 while Redis is down, and counts calls once it answers', async () => {
    const port = await freePort();
    const state = createSharedState(`redis://127.0.0.1:${port}`, 60_000);
    try {
      const limit = new RequestRateLimit(parseConfig({ rateLimits: { perKey: 1 } }).rateLimits, state.redis);
      const take = () => limit.take({ caller: ANONYMOUS, clientIp: '10.1.1.1', plugin: 'p' }).then(() => 'ok', (err: { code?: string }) => err.code);
      expect(await take()).toBe('shared_state_unavailable');
      redis = await startRedis({ port });
      expect(await waitUntil(() => state.healthy(), 10_000)).toBe(true);
      expect([await take(), await take()]).toEqual(['ok', 'rate_limited']);
    } finally {
      await state.close();
    }
  });

  it('serves /v1 requests through the middleware once Redis answers', async () => {
    const port = await freePort();
    const key = testKey('late-redis');
    const rt = await startTestRuntime({ redisUrl: `redis://127.0.0.1:${port}`, config: { auth: { enabled: true, keys: [key.entry] } } });
    try {
      const plugins = () => fetch(`${rt.url}/v1/plugins`, { headers: key.headers });
      const refused = await plugins();
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { code: string }).code).toBe('shared_state_unavailable');
      redis = await startRedis({ port });
      expect(await waitUntil(() => rt.runtime.state.healthy(), 10_000)).toBe(true);
      expect((await plugins()).status).toBe(200);
    } finally {
      await rt.close();
    }
  });
});
