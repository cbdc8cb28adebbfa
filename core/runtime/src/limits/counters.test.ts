import { MemoryCounters } from './counters';

// MemoryCounters on a clock the test moves. RedisCounters, the same semantics against a real
// redis-server, is tested in test/e2e/counters-redis.test.ts.

describe('MemoryCounters', () => {
  let now = 1_000_000;
  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  const entries = (limitA: number, limitB: number) => [
    { key: 'a', limit: limitA, ttlMs: 1_000 },
    { key: 'b', limit: limitB, ttlMs: 1_000 },
  ];

  it('adds to every key at once only when none would pass its limit, else names the first that would', async () => {
    const c = new MemoryCounters();
    expect(await c.addWithin(entries(1, 1), 0.5)).toBe(-1);
    expect(await c.addWithin(entries(2, 0.9), 0.5)).toBe(1);
    expect(await c.addWithin(entries(0.9, 0.9), 0.5)).toBe(0);
    expect([await c.get('a'), await c.get('b')]).toEqual([0.5, 0.5]); // nothing was added by a refusal
    expect(await c.addWithin([], 1)).toBe(-1);
  });

  it('reaches a limit exactly despite floating-point sums', async () => {
    const c = new MemoryCounters();
    await c.addWithin(entries(0.3, 0.3), 0.1);
    await c.addWithin(entries(0.3, 0.3), 0.2);
    expect(await c.addWithin(entries(0.3, 0.3), 0)).toBe(-1);
    expect(await c.addWithin(entries(0.3, 0.3), 0.01)).toBe(0);
  });

  it('expires a key ttlMs after it was first added to; later adds do not extend it', async () => {
    const c = new MemoryCounters();
    await c.addWithin(entries(10, 10), 1);
    now += 600;
    await c.addWithin(entries(10, 10), 1);
    expect(await c.get('a')).toBe(2);
    now += 400;
    expect(await c.get('a')).toBe(0);
    expect(await c.addWithin(entries(1, 1), 1)).toBe(-1); // a new period starts from zero
  });

  it('adds to keys that exist (settling a reservation) and leaves missing ones alone', async () => {
    const c = new MemoryCounters();
    await c.addWithin(entries(10, 10), 1);
    await c.add(['a', 'b', 'missing'], -0.75);
    expect([await c.get('a'), await c.get('b'), await c.get('missing')]).toEqual([0.25, 0.25, 0]);
  });

  it('hands out at most max slots, never counts below zero, and refreshes the expiry on every take', async () => {
    const c = new MemoryCounters();
    expect([await c.acquireSlot('s', 2, 1_000), await c.acquireSlot('s', 2, 1_000), await c.acquireSlot('s', 2, 1_000)]).toEqual([true, true, false]);
    now += 900;
    await c.releaseSlot('s');
    expect(await c.acquireSlot('s', 2, 1_000)).toBe(true);
    now += 900; // 1.8 s after the first take, 0.9 s after the last
    expect(await c.get('s')).toBe(2);
    await c.releaseSlot('s');
    await c.releaseSlot('s');
    await c.releaseSlot('s');
    expect(await c.get('s')).toBe(0);
    expect(await c.acquireSlot('s', 1, 1_000)).toBe(true);
  });
});
