import { Redis } from 'ioredis';
import { startRedis, waitUntil, type TestRedis } from '@ccp/testing';
import { NO_PROGRESS, type Job, type JobEvent } from './job';
import type { JobStore } from './job-store';
import { MemoryJobStore } from './memory-job-store';
import { RedisJobStore } from './redis-job-store';

// One contract for every JobStore: the memory store, and the Redis store against a real
// redis-server (each test on a fresh key prefix). Two Redis stores on two connections play
// two replicas.

const job = (id: string, fields: Partial<Job> = {}): Job => ({
  id, owner: 'alice', requestId: `r-${id}`, caller: { name: 'alice', roles: ['user'], plugins: ['*'] }, plugin: 'p', operation: 'o', input: {}, state: 'queued', createdAt: 0, progress: NO_PROGRESS, ...fields,
});

let server: TestRedis;
const connections: Redis[] = [];
const stores: RedisJobStore[] = [];
let prefix = 0;

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  for (const store of stores) await store.close();
  for (const c of connections) await c.quit();
  await server?.stop();
});

/** A Redis store on its own connection, on `shared`'s keys when given (another replica). */
function redisStore(shared?: string): { store: RedisJobStore; prefix: string } {
  const connection = new Redis(server.url);
  connections.push(connection);
  const p = shared ?? `test:${++prefix}:`;
  const store = new RedisJobStore(connection, { retentionMs: 60_000, prefix: p });
  stores.push(store);
  return { store, prefix: p };
}

const implementations: [string, () => { store: JobStore; replica: () => JobStore }][] = [
  ['MemoryJobStore', () => {
    const store = new MemoryJobStore();
    return { store, replica: () => store };
  }],
  ['RedisJobStore', () => {
    const { store, prefix: p } = redisStore();
    return { store, replica: () => redisStore(p).store };
  }],
];

describe.each(implementations)('%s', (_name, make) => {
  it('deletes finished jobs past retention, never running ones', async () => {
    const { store } = make();
    await store.create(job('old', { state: 'succeeded', finishedAt: 100 }));
    await store.create(job('new', { state: 'failed', finishedAt: 300 }));
    await store.create(job('run', { state: 'running' }));
    expect(await store.sweep(200)).toBe(1);
    expect(await store.get('old')).toBeUndefined();
    expect((await store.list('alice', { limit: 10 })).jobs.map((j) => j.id)).toEqual(['run', 'new']);
    await store.update('run', (j) => ({ ...j, state: 'cancelled', finishedAt: 150 }));
    expect(await store.sweep(200)).toBe(1);
    expect((await store.list('alice', { limit: 10 })).jobs.map((j) => j.id)).toEqual(['new']);
  });

  it('numbers events per job, from 1, and tells watchers (on another replica too) until they stop', async () => {
    const { store, replica } = make();
    const other = replica();
    await store.create(job('a'));
    await store.create(job('b'));
    const seen: number[] = [];
    const elsewhere: JobEvent[] = [];
    const stop = store.watch('a', (e) => seen.push(e.seq));
    const stopOther = other.watch('a', (e) => elsewhere.push(e));
    expect(await store.append('a', { type: 'start', data: { requestId: 'r' } })).toEqual({ seq: 1, type: 'start', data: { requestId: 'r' } });
    await store.append('b', { type: 'start', data: {} });
    await other.append('a', { type: 'text', data: { text: 'hi' } });
    expect(await waitUntil(() => seen.includes(2) && elsewhere.some((e) => e.seq === 2), 2000, 5)).toBe(true);
    stop();
    stopOther();
    await store.append('a', { type: 'result', data: {} });
    await new Promise((r) => setTimeout(r, 50));
    // A shared store may repeat the latest event when its subscription starts: never out of order, never one not yet appended.
    expect(seen.at(-1)).toBe(2);
    expect([...seen].sort()).toEqual(seen);
    expect(elsewhere.at(-1)).toEqual({ seq: 2, type: 'text', data: { text: 'hi' } });
    expect((await other.events('a', 1)).map((e) => [e.seq, e.type])).toEqual([[2, 'text'], [3, 'result']]);
    expect((await store.events('a', 0)).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(await store.events('b', 0)).toEqual([{ seq: 1, type: 'start', data: {} }]);
    await expect(store.append('nope', { type: 'start', data: {} })).rejects.toThrow();
  });

  it('keeps webhook delivery attempts with the job, numbered per job, and deletes them with it', async () => {
    const { store, replica } = make();
    await store.create(job('a', { state: 'succeeded', finishedAt: 100, webhook: 'https://hooks.example.com/a' }));
    const attempt = { trigger: 'automatic' as const, at: 100, durationMs: 5, outcome: 'http_error' as const, status: 500 };
    expect(await store.recordDelivery('a', { ...attempt, nextAttemptAt: 200 })).toMatchObject({ attempt: 1, status: 500 });
    expect(await replica().recordDelivery('a', { ...attempt, outcome: 'delivered', status: 204 })).toMatchObject({ attempt: 2 });
    expect((await store.deliveries('a')).map((d) => [d.attempt, d.outcome, d.nextAttemptAt])).toEqual([[1, 'http_error', 200], [2, 'delivered', undefined]]);
    expect(await store.recordDelivery('nope', attempt)).toBeUndefined();
    await store.sweep(200);
    expect(await store.deliveries('a')).toEqual([]);
    expect(await store.recordDelivery('a', attempt)).toBeUndefined();
  });

  it('deletes a job with its events and deliveries, and only once', async () => {
    const { store } = make();
    await store.create(job('d', { state: 'failed', finishedAt: 100 }));
    await store.create(job('keep'));
    await store.append('d', { type: 'error', data: {} });
    await store.recordDelivery('d', { trigger: 'automatic', at: 1, durationMs: 1, outcome: 'delivered', status: 200 });
    expect(await store.delete('d')).toBe(true);
    expect(await store.delete('d')).toBe(false);
    expect(await store.get('d')).toBeUndefined();
    expect(await store.events('d', 0)).toEqual([]);
    expect(await store.deliveries('d')).toEqual([]);
    expect((await store.list('alice', { limit: 10 })).jobs.map((j) => j.id)).toEqual(['keep']);
    expect(await store.delete('keep')).toBe(true);
    expect(await store.countQueued('alice')).toBe(0);
  });

  it('claims an Idempotency-Key once per owner until it expires, and forgets a released one', async () => {
    const { store, replica } = make();
    const other = replica();
    expect(await store.claimIdempotencyKey('alice', 'k', { bodyHash: 'h', jobId: '1' }, 200)).toBeUndefined();
    expect(await other.claimIdempotencyKey('alice', 'k', { bodyHash: 'h2', jobId: '2' }, 200)).toEqual({ bodyHash: 'h', jobId: '1' });
    expect(await store.claimIdempotencyKey('bob', 'k', { bodyHash: 'h2', jobId: '3' }, 200)).toBeUndefined();
    await store.releaseIdempotencyKey('bob', 'k');
    expect(await store.claimIdempotencyKey('bob', 'k', { bodyHash: 'h4', jobId: '4' }, 200)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 250));
    expect(await store.claimIdempotencyKey('alice', 'k', { bodyHash: 'h2', jobId: '2' }, 200)).toBeUndefined();
  });

  it('lists an owner’s jobs newest first, by page, state and plugin', async () => {
    const { store } = make();
    for (let i = 0; i < 5; i++) await store.create(job(`j${i}`, { plugin: i % 2 === 0 ? 'even' : 'odd', state: i === 4 ? 'running' : 'queued', createdAt: 1000 }));
    await store.create(job('bobs', { owner: 'bob' }));
    const first = await store.list('alice', { limit: 2 });
    expect(first.jobs.map((j) => j.id)).toEqual(['j4', 'j3']);
    const second = await store.list('alice', { limit: 2, cursor: first.nextCursor });
    expect(second.jobs.map((j) => j.id)).toEqual(['j2', 'j1']);
    const third = await store.list('alice', { limit: 2, cursor: second.nextCursor });
    expect(third).toEqual({ jobs: [expect.objectContaining({ id: 'j0' })] });
    const even = await store.list('alice', { limit: 1, plugin: 'even' });
    expect(even.jobs.map((j) => j.id)).toEqual(['j4']);
    expect((await store.list('alice', { limit: 5, plugin: 'even', cursor: even.nextCursor })).jobs.map((j) => j.id)).toEqual(['j2', 'j0']);
    expect((await store.list('alice', { limit: 10, state: 'running' })).jobs.map((j) => j.id)).toEqual(['j4']);
    expect((await store.list('alice', { limit: 1, state: 'running' })).nextCursor).toBeUndefined();
    expect((await store.list('bob', { limit: 10 })).jobs.map((j) => j.id)).toEqual(['bobs']);
    expect((await store.list('carol', { limit: 10 })).jobs).toEqual([]);
  });

  it('counts queued jobs as their state changes, and updates nothing that is not there', async () => {
    const { store } = make();
    await store.create(job('q1'));
    await store.create(job('q2'));
    await store.create(job('other', { owner: 'bob' }));
    expect(await store.countQueued('alice')).toBe(2);
    await store.update('q1', (j) => ({ ...j, state: 'running', startedAt: 5 }));
    expect(await store.countQueued('alice')).toBe(1);
    await store.update('q1', (j) => ({ ...j, state: 'queued', startedAt: undefined }));
    await store.update('q2', (j) => ({ ...j, state: 'cancelled', finishedAt: 6 }));
    expect(await store.countQueued('alice')).toBe(1);
    expect(await store.update('nope', (j) => j)).toBeUndefined();
    expect(await store.get('q2')).toMatchObject({ state: 'cancelled', finishedAt: 6 });
  });

  it('loses no change when replicas update one job at once', async () => {
    const { store, replica } = make();
    const others = [store, replica(), replica()];
    await store.create(job('c'));
    await Promise.all(Array.from({ length: 30 }, (_, i) => (others[i % 3] as JobStore).update('c', (j) => ({ ...j, progress: { ...j.progress, turns: j.progress.turns + 1 } }))));
    expect((await store.get('c'))?.progress.turns).toBe(30);
  });
});

describe('RedisJobStore keys', () => {
  it('lets a finished job and its events expire with retention, and keeps a running one', async () => {
    const { store, prefix: p } = redisStore();
    const redis = connections[connections.length - 1] as Redis;
    await store.create(job('f'));
    await store.append('f', { type: 'start', data: {} });
    expect(await redis.pttl(`${p}job:f`)).toBe(-1);
    await store.update('f', (j) => ({ ...j, state: 'succeeded', finishedAt: Date.now() }));
    await store.append('f', { type: 'result', data: {} });
    await store.recordDelivery('f', { trigger: 'automatic', at: 1, durationMs: 1, outcome: 'delivered', status: 200 });
    for (const key of [`${p}job:f`, `${p}job-events:f`, `${p}job-deliveries:f`]) {
      const ttl = await redis.pttl(key);
      expect({ key, expires: ttl > 59_000 && ttl <= 60_000 }).toEqual({ key, expires: true });
    }
    // An Idempotency-Key is stored under a hash: the caller's key text is not a Redis key.
    await store.claimIdempotencyKey('alice', 'visible-key-text', { bodyHash: 'h', jobId: 'f' }, 1000);
    expect((await redis.keys(`${p}*`)).some((k) => k.includes('visible-key-text'))).toBe(false);
  });

  it('answers a typed 503 while Redis is away', async () => {
    const connection = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    const store = new RedisJobStore(connection, { retentionMs: 1000 });
    await expect(store.get('x')).rejects.toMatchObject({ code: 'shared_state_unavailable', status: 503 });
    connection.disconnect();
  });
});
