import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '@ccp/testing';
import { MemoryCounters, RedisCounters, type Counters } from '../../core/runtime/src/limits/counters';

// The counters behind concurrency caps and budgets, against a real redis-server: the same
// answers as MemoryCounters (whose expiry is tested on a fake clock beside it), and the
// expiries Redis is asked to keep.

describe('RedisCounters', () => {
  let server: TestRedis;
  let redis: Redis;
  let n = 0;
  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    await redis.quit();
    await server.stop();
  });

  const implementations: [string, () => Counters][] = [
    ['memory', () => new MemoryCounters()],
    ['redis', () => new RedisCounters(redis, `test:${++n}:`)],
  ];
  const entries = (limitA: number, limitB: number) => [
    { key: 'a', limit: limitA, ttlMs: 60_000 },
    { key: 'b', limit: limitB, ttlMs: 60_000 },
  ];

  describe.each(implementations)('the same answers in %s', (_name, make) => {
    it('seed sets only counters that do not exist yet (a rebuild from the ledger never doubles a live count)', async () => {
      const c = make();
      await c.addWithin(entries(10, 10), 1);
      await c.seed([{ key: 'a', value: 5, ttlMs: 60_000 }, { key: 'c', value: 2.5, ttlMs: 60_000 }]);
      expect([await c.get('a'), await c.get('c')]).toEqual([1, 2.5]);
      expect(await c.addWithin([{ key: 'c', limit: 3, ttlMs: 60_000 }], 1)).toBe(0);
      await c.seed([]);
    });

    it('addWithin adds to every key or to none, naming the first key over its limit', async () => {
      const c = make();
      expect(await c.addWithin(entries(1, 1), 0.5)).toBe(-1);
      expect(await c.addWithin(entries(2, 0.9), 0.5)).toBe(1);
      expect(await c.addWithin(entries(0.9, 2), 0.5)).toBe(0);
      expect([await c.get('a'), await c.get('b')]).toEqual([0.5, 0.5]);
      expect(await c.addWithin([], 1)).toBe(-1);
    });

    it('reaches a limit exactly despite floating-point sums', async () => {
      const c = make();
      await c.addWithin(entries(0.3, 0.3), 0.1);
      await c.addWithin(entries(0.3, 0.3), 0.2);
      expect(await c.addWithin(entries(0.3, 0.3), 0)).toBe(-1);
      expect(await c.addWithin(entries(0.3, 0.3), 0.01)).toBe(0);
    });

    it('add settles what addWithin reserved', async () => {
      const c = make();
      await c.addWithin(entries(10, 10), 1);
      await c.add(['a', 'b'], -0.75);
      await c.add(['a'], 0);
      expect([await c.get('a'), await c.get('b')]).toEqual([0.25, 0.25]);
    });

    it('slots: at most max, never below zero', async () => {
      const c = make();
      expect([await c.acquireSlot('s', 2, 60_000), await c.acquireSlot('s', 2, 60_000), await c.acquireSlot('s', 2, 60_000)]).toEqual([true, true, false]);
      for (let i = 0; i < 3; i++) await c.releaseSlot('s');
      expect(await c.get('s')).toBe(0);
      expect([await c.acquireSlot('s', 1, 60_000), await c.acquireSlot('s', 1, 60_000)]).toEqual([true, false]);
    });
  });

  it('asks Redis to expire a counter once, at its first add, and a slot on every take', async () => {
    const prefix = `test:${++n}:`;
    const c = new RedisCounters(redis, prefix);
    await c.addWithin([{ key: 'spend', limit: 10, ttlMs: 60_000 }], 1);
    const first = await redis.pttl(`${prefix}spend`);
    expect(first).toBeGreaterThan(50_000);
    await c.addWithin([{ key: 'spend', limit: 10, ttlMs: 600_000 }], 1);
    expect(await redis.pttl(`${prefix}spend`)).toBeLessThanOrEqual(first);

    await c.acquireSlot('slot', 5, 60_000);
    await c.acquireSlot('slot', 5, 600_000);
    expect(await redis.pttl(`${prefix}slot`)).toBeGreaterThan(500_000);
    await c.releaseSlot('slot');
    await c.releaseSlot('slot');
    expect(await redis.exists(`${prefix}slot`)).toBe(0); // a free slot counter leaves no key
  });

  it('lets concurrent reservations on two connections never pass a limit together', async () => {
    const other = new Redis(server.url);
    try {
      const prefix = `test:${++n}:`;
      const [a, b] = [new RedisCounters(redis, prefix), new RedisCounters(other, prefix)];
      const budget = [{ key: 'day', limit: 5, ttlMs: 60_000 }];
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).addWithin(budget, 0.5)));
      expect(results.filter((r) => r === -1)).toHaveLength(10);
      expect(await a.get('day')).toBe(5);
    } finally {
      await other.quit();
    }
  });
});
