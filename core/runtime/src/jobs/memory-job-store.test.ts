import { NO_PROGRESS, type Job } from './job';
import { MemoryJobStore } from './memory-job-store';

const job = (id: string, fields: Partial<Job> = {}): Job => ({
  id, owner: 'alice', requestId: `r-${id}`, caller: { name: 'alice', roles: ['user'], plugins: ['*'] }, plugin: 'p', operation: 'o', input: {}, state: 'queued', createdAt: 0, progress: NO_PROGRESS, ...fields,
});

describe('MemoryJobStore', () => {
  it('deletes finished jobs past retention, never running ones', async () => {
    const store = new MemoryJobStore();
    await store.create(job('old', { state: 'succeeded', finishedAt: 100 }));
    await store.create(job('new', { state: 'failed', finishedAt: 300 }));
    await store.create(job('run', { state: 'running' }));
    expect(await store.sweep(200)).toBe(1);
    expect(await store.get('old')).toBeUndefined();
    expect((await store.list('alice', { limit: 10 })).jobs.map((j) => j.id)).toEqual(['run', 'new']);
  });

  it('numbers events per job and tells watchers', async () => {
    const store = new MemoryJobStore();
    await store.create(job('a'));
    const seen: number[] = [];
    const stop = store.watch('a', (e) => seen.push(e.seq));
    await store.append('a', { type: 'start', data: {} });
    await store.append('a', { type: 'text', data: {} });
    stop();
    await store.append('a', { type: 'result', data: {} });
    expect(seen).toEqual([1, 2]);
    expect((await store.events('a', 1)).map((e) => e.type)).toEqual(['text', 'result']);
  });

  it('keeps webhook delivery attempts with the job, numbered per job, and deletes them with it', async () => {
    const store = new MemoryJobStore();
    await store.create(job('a', { state: 'succeeded', finishedAt: 100, webhook: 'https://hooks.example.com/a' }));
    const attempt = { trigger: 'automatic' as const, at: 100, durationMs: 5, outcome: 'http_error' as const, status: 500 };
    expect(await store.recordDelivery('a', { ...attempt, nextAttemptAt: 200 })).toMatchObject({ attempt: 1, status: 500 });
    expect(await store.recordDelivery('a', { ...attempt, outcome: 'delivered', status: 204 })).toMatchObject({ attempt: 2 });
    expect((await store.deliveries('a')).map((d) => [d.attempt, d.outcome])).toEqual([[1, 'http_error'], [2, 'delivered']]);
    expect(await store.recordDelivery('nope', attempt)).toBeUndefined();
    await store.sweep(200);
    expect(await store.deliveries('a')).toEqual([]);
    expect(await store.recordDelivery('a', attempt)).toBeUndefined();
  });

  it('claims an Idempotency-Key once until it expires', async () => {
    let now = 0;
    const store = new MemoryJobStore(() => now);
    expect(await store.claimIdempotencyKey('alice', 'k', { bodyHash: 'h', jobId: '1' }, 1000)).toBeUndefined();
    expect(await store.claimIdempotencyKey('alice', 'k', { bodyHash: 'h2', jobId: '2' }, 1000)).toEqual({ bodyHash: 'h', jobId: '1' });
    expect(await store.claimIdempotencyKey('bob', 'k', { bodyHash: 'h2', jobId: '3' }, 1000)).toBeUndefined();
    now = 1000;
    expect(await store.claimIdempotencyKey('alice', 'k', { bodyHash: 'h2', jobId: '2' }, 1000)).toBeUndefined();
  });
});
