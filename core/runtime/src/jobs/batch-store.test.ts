import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '@ccp/testing';
import type { Batch } from './batch';
import type { BatchStore } from './batch-store';
import { MemoryBatchStore } from './memory-batch-store';
import { RedisBatchStore } from './redis-batch-store';

// One contract for every BatchStore: the memory store, and the Redis store against a real
// redis-server (a fresh key prefix per test; two stores on two connections play two replicas).

const batch = (id: string, fields: Partial<Batch> = {}): Batch => ({ id, owner: 'alice', requestId: `r-${id}`, jobIds: ['j1', 'j2'], customIds: ['a', undefined], createdAt: 1, ...fields });

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

function redisStore(p: string): RedisBatchStore {
  const connection = new Redis(server.url);
  connections.push(connection);
  return new RedisBatchStore(connection, { retentionMs: 60_000, prefix: p });
}

const implementations: [string, () => { store: BatchStore; replica: () => BatchStore }][] = [
  ['MemoryBatchStore', () => {
    const store = new MemoryBatchStore();
    return { store, replica: () => store };
  }],
  ['RedisBatchStore', () => {
    const p = `test:${++prefix}:`;
    return { store: redisStore(p), replica: () => redisStore(p) };
  }],
];

describe.each(implementations)('%s', (_name, make) => {
  it('keeps a batch, counts its owner’s open ones, and ends it once when replicas race', async () => {
    const { store, replica } = make();
    await store.create(batch('b1'));
    await store.create(batch('b2'));
    await store.create(batch('other', { owner: 'bob' }));
    expect(await store.get('b1')).toEqual(batch('b1'));
    expect(await store.countOpen('alice')).toBe(2);
    const others = [store, replica(), replica()];
    const ended = await Promise.all(others.map((s, i) => s.update('b1', (b) => (b.endedAt === undefined ? { ...b, endedAt: 100 + i } : b))));
    // Exactly one change ended it.
    expect(ended.filter((c) => c && c.before.endedAt === undefined && c.after.endedAt !== undefined)).toHaveLength(1);
    expect(await store.countOpen('alice')).toBe(1);
    expect(await store.update('nope', (b) => b)).toBeUndefined();
  });

  it('numbers delivery attempts per batch, and sweeps ended batches past retention with them', async () => {
    const { store, replica } = make();
    await store.create(batch('old', { endedAt: 100, webhook: 'https://hooks.example.com/b' }));
    await store.create(batch('new', { endedAt: 300 }));
    await store.create(batch('open'));
    const attempt = { trigger: 'automatic' as const, at: 100, durationMs: 5, outcome: 'http_error' as const, status: 500 };
    expect(await store.recordDelivery('old', attempt)).toMatchObject({ attempt: 1 });
    expect(await replica().recordDelivery('old', { ...attempt, outcome: 'delivered', status: 204 })).toMatchObject({ attempt: 2 });
    expect((await store.deliveries('old')).map((d) => d.outcome)).toEqual(['http_error', 'delivered']);
    expect(await store.recordDelivery('nope', attempt)).toBeUndefined();
    expect(await store.sweep(200)).toBe(1);
    expect(await store.get('old')).toBeUndefined();
    expect(await store.deliveries('old')).toEqual([]);
    expect(await store.get('new')).toBeDefined();
    expect(await store.get('open')).toBeDefined();
  });
});
