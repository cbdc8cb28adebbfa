import { WindowStore } from './window-store';

describe('WindowStore', () => {
  it('gives each of a burst of concurrent hits its own count', async () => {
    const store = new WindowStore(60_000);
    const counts = await Promise.all(Array.from({ length: 25 }, () => store.increment('k')));
    expect(counts.map((c) => c.totalHits)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    store.shutdown();
  });

  it('starts a new window once the old one ends, per key', async () => {
    let now = 0;
    const store = new WindowStore(1_000, () => now);
    await store.increment('a');
    await store.increment('a');
    await store.increment('b');
    expect(await store.get('a')).toEqual({ totalHits: 2, resetTime: new Date(1_000) });
    now = 1_000;
    expect(await store.get('a')).toBeUndefined();
    expect(await store.increment('a')).toEqual({ totalHits: 1, resetTime: new Date(2_000) });
    await store.decrement('a');
    expect((await store.get('a'))?.totalHits).toBe(0);
    await store.resetKey('a');
    expect(await store.get('a')).toBeUndefined();
    store.shutdown();
  });
});
