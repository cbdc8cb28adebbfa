import { Redis } from 'ioredis';
import { startRedis, waitUntil, type TestRedis } from '@ccp/testing';
import { MemoryInstances, type InstanceRegistry, type InstanceSummary } from './instances';
import { RedisInstances } from './redis-instances';

// One contract for both registries: in memory, and in a real redis-server (each test on a
// fresh key prefix; two registries on two connections play two replicas).

const summary = (instanceId: string, fields: Partial<InstanceSummary> = {}): InstanceSummary => ({
  instanceId, version: '0.1.0', startedAt: '2026-12-02T10:00:00.000Z', draining: false,
  breaker: { state: 'closed', retryAfterSeconds: 0 },
  admission: { running: 1, queued: 0, limits: { inFlight: 4, starting: 2, poolProcesses: 0 } },
  pool: { warming: 0, spare: 0, idle: 0, busy: 0 },
  publishedAt: '2026-12-02T10:00:05.000Z', ...fields,
});
const ids = async (registry: InstanceRegistry) => (await registry.list()).map((s) => s.instanceId).sort();

let server: TestRedis;
const connections: Redis[] = [];
let prefix = 0;

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  for (const c of connections) await c.quit();
  await server?.stop();
});

function redisPair(): [RedisInstances, RedisInstances, Redis] {
  const p = `test:${++prefix}:`;
  const [a, b] = [new Redis(server.url), new Redis(server.url)];
  connections.push(a, b);
  return [new RedisInstances(a, p), new RedisInstances(b, p), a];
}

const implementations: [string, () => [InstanceRegistry, InstanceRegistry]][] = [
  ['in memory', () => {
    const shared = new MemoryInstances();
    return [shared, shared];
  }],
  ['in Redis', () => {
    const [a, b] = redisPair();
    return [a, b];
  }],
];

describe.each(implementations)('the instance registry %s', (_name, make) => {
  it('lists what each instance published, and forgets one that removed itself', async () => {
    const [a, b] = make();
    await a.publish(summary('a'), { owner: 'ra', ttlMs: 10_000, claim: true });
    await b.publish(summary('b'), { owner: 'rb', ttlMs: 10_000, claim: true });
    expect(await ids(a)).toEqual(['a', 'b']);
    expect((await b.list()).find((s) => s.instanceId === 'a')).toEqual(summary('a'));
    await b.remove('b', 'rb');
    expect(await ids(a)).toEqual(['a']);
  });

  it('lets a record expire unless published again (an instance that was killed)', async () => {
    const [a, b] = make();
    await a.publish(summary('gone'), { owner: 'r1', ttlMs: 150, claim: true });
    await b.publish(summary('live'), { owner: 'r2', ttlMs: 10_000, claim: true });
    expect(await ids(b)).toEqual(['gone', 'live']);
    expect(await waitUntil(async () => (await ids(b)).length === 1, 5_000)).toBe(true);
    expect(await ids(b)).toEqual(['live']);
  });

  it('keeps the record of the runtime that replaced a draining one under the same id (a config reload)', async () => {
    const [registry] = make();
    await registry.publish(summary('host:1'), { owner: 'old', ttlMs: 10_000, claim: true });
    await registry.publish(summary('host:1', { version: 'new' }), { owner: 'new', ttlMs: 10_000, claim: true });
    // The old runtime drains: it neither overwrites nor removes what the new one published.
    await registry.publish(summary('host:1', { draining: true }), { owner: 'old', ttlMs: 10_000, claim: false });
    await registry.remove('host:1', 'old');
    expect(await registry.list()).toEqual([summary('host:1', { version: 'new' })]);
    // A draining runtime that holds its record still updates it.
    await registry.publish(summary('host:1', { draining: true }), { owner: 'new', ttlMs: 10_000, claim: false });
    expect((await registry.list())[0]?.draining).toBe(true);
  });
});

describe('the instance registry in Redis', () => {
  it('keeps one hash per instance with its owner and summary only, expiring, and one set of ids', async () => {
    const [registry, , redis] = redisPair();
    const p = `test:${prefix}:`;
    await registry.publish(summary('host:7'), { owner: 'runtime-token', ttlMs: 10_000, claim: true });
    expect(await redis.hgetall(`${p}instance:host:7`)).toEqual({ owner: 'runtime-token', summary: JSON.stringify(summary('host:7')) });
    const ttl = await redis.pttl(`${p}instance:host:7`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10_000);
    expect(await redis.smembers(`${p}instances`)).toEqual(['host:7']);
    // The set of ids expires with its freshest record: it outlives no instance.
    const indexTtl = await redis.pttl(`${p}instances`);
    expect(indexTtl).toBeGreaterThan(0);
    expect(indexTtl).toBeLessThanOrEqual(10_000);
  });

  it('drops the ids of expired records from the set whenever an instance publishes, status read or not', async () => {
    const [registry, other, redis] = redisPair();
    const p = `test:${prefix}:`;
    await registry.publish(summary('killed'), { owner: 'r1', ttlMs: 100, claim: true });
    expect(await waitUntil(async () => (await redis.exists(`${p}instance:killed`)) === 0, 5_000)).toBe(true);
    await other.publish(summary('live'), { owner: 'r2', ttlMs: 10_000, claim: true });
    expect(await redis.smembers(`${p}instances`)).toEqual(['live']);
  });

  it("drops an expired instance's id from the set when listing, and skips a record it cannot read", async () => {
    const [registry, , redis] = redisPair();
    const p = `test:${prefix}:`;
    await registry.publish(summary('short'), { owner: 'r', ttlMs: 100, claim: true });
    await redis.hset(`${p}instance:odd`, 'owner', 'x', 'summary', '{"instanceId":"odd"}');
    await redis.sadd(`${p}instances`, 'odd');
    await redis.pexpire(`${p}instances`, 10_000); // as the live instance's publish would
    expect(await waitUntil(async () => (await registry.list()).length === 0, 5_000)).toBe(true);
    expect(await redis.smembers(`${p}instances`)).toEqual(['odd']);
  });
});
