import { FakeEngine, unitRuntime } from '@ccp/testing';
import request from 'supertest';
import type { Runtime } from '../composition-root';
import { JOB_QUEUE, JOB_STORE, override } from '../tokens';
import type { CancelOutcome, JobProcessor, JobQueue, QueuedJob } from './job-queue';
import { MemoryJobStore } from './memory-job-store';

// The job service on a shared queue (as BullMQ is), driven by hand: a job handed out again
// after its instance was lost, a drain that sends a job back, a cancel settled elsewhere.

/** A shared queue the test hands jobs out of, as another replica's worker would. */
class ManualQueue implements JobQueue {
  readonly shared = true;
  readonly enqueued: { job: QueuedJob; delayMs: number }[] = [];
  cancelOutcome: CancelOutcome | undefined = undefined;
  private processor: JobProcessor | undefined;
  readonly size = { waiting: 0, running: 0 };
  start(processor: JobProcessor): void {
    this.processor = processor;
  }
  async enqueue(job: QueuedJob, delayMs = 0): Promise<void> {
    this.enqueued.push({ job, delayMs });
  }
  async cancel(): Promise<CancelOutcome | undefined> {
    return this.cancelOutcome;
  }
  async close(): Promise<void> {}
  handOut(id: string, lost = 0, signal = new AbortController().signal): Promise<void> {
    return (this.processor as JobProcessor)(id, signal, { lost });
  }
}

const review = { files: [{ path: 'src/a.ts', content: 'export const a = 1;\n' }] };
const goodOutput = { summary: 'Fine.', findings: [], filesReviewed: ['src/a.ts'] };

describe('jobs on a shared queue', () => {
  let runtime: Runtime;
  let engine: FakeEngine;
  let queue: ManualQueue;
  let store: MemoryJobStore;
  beforeEach(async () => {
    engine = new FakeEngine({ output: goodOutput });
    queue = new ManualQueue();
    store = new MemoryJobStore();
    runtime = await unitRuntime(engine, { config: { auth: { enabled: false }, cache: { enabled: false } }, overrides: [override(JOB_QUEUE, queue), override(JOB_STORE, store)] });
  });
  afterEach(() => runtime.dispose());

  const submit = async () => (await request(runtime.app).post('/v1/jobs').send({ plugin: 'code-review', operation: 'review', input: review }).expect(202)).body.id as string;
  /** The job as the instance that was lost left it: running, maybe with a start event and spend. */
  const lostWhileRunning = async (id: string, shown: boolean) => {
    await store.update(id, (job) => ({ ...job, state: 'running', startedAt: 1, ...(shown ? { progress: { ...job.progress, turns: 1, costUsd: 0.002 } } : {}) }));
    if (shown) await store.append(id, { type: 'start', data: { sessionId: 'on-the-lost-instance' } });
  };

  it('runs a job again when its lost instance had shown and spent nothing', async () => {
    const id = await submit();
    await lostWhileRunning(id, false);
    await queue.handOut(id, 1);
    expect(engine.requests).toHaveLength(1);
    expect(await store.get(id)).toMatchObject({ state: 'succeeded' });
    expect((await store.events(id, 0)).map((e) => e.type)).toEqual(['start', 'text', 'result']);
  });

  it('fails a job as worker_lost, without running it, when its lost instance had started it', async () => {
    const id = await submit();
    await lostWhileRunning(id, true);
    await queue.handOut(id, 1);
    expect(engine.requests).toHaveLength(0);
    const job = (await request(runtime.app).get(`/v1/jobs/${id}`).expect(200)).body;
    expect(job).toMatchObject({ state: 'failed', error: { code: 'worker_lost', status: 503, instance: `/v1/jobs/${id}` }, progress: { turns: 1, costUsd: 0.002 } });
    // One start (the lost instance's), then the error: nothing is started twice.
    expect((await store.events(id, 0)).map((e) => e.type)).toEqual(['start', 'error']);
    // Handed out once more (a duplicate delivery), it stays as it is.
    await queue.handOut(id, 2);
    expect((await store.events(id, 0))).toHaveLength(2);
  });

  it('fails a job that lost its instance too often before it started (it may be what kills them)', async () => {
    const id = await submit();
    await lostWhileRunning(id, false);
    await queue.handOut(id, 3);
    expect(engine.requests).toHaveLength(0);
    expect(await store.get(id)).toMatchObject({ state: 'failed', error: { code: 'worker_lost' } });
    expect((await store.events(id, 0)).map((e) => e.type)).toEqual(['start', 'error']);
  });

  it('sends a job that cannot start because this instance drains back to the queue', async () => {
    const id = await submit();
    expect(queue.enqueued).toHaveLength(1);
    runtime.lifecycle.startDraining();
    await queue.handOut(id);
    expect(engine.requests).toHaveLength(0);
    expect(await store.get(id)).toMatchObject({ state: 'queued' });
    expect(queue.enqueued[1]).toEqual({ job: expect.objectContaining({ id }), delayMs: 0 });
    expect(await store.events(id, 0)).toEqual([]);
  });

  it('answers a cancel with the job once the instance running it has settled it', async () => {
    const id = await submit();
    await lostWhileRunning(id, true);
    queue.cancelOutcome = 'signalled';
    setTimeout(() => void store.update(id, (job) => ({ ...job, state: 'cancelled', finishedAt: Date.now(), progress: { ...job.progress, costUsd: 0.003 } })), 200);
    const res = await request(runtime.app).delete(`/v1/jobs/${id}`).expect(200);
    expect(res.body).toMatchObject({ state: 'cancelled', progress: { costUsd: 0.003 } });
  });

  it('follows a job whose live events skip a number by reading the missing ones', async () => {
    const id = await submit();
    const seen: number[] = [];
    // A store whose watchers hear only every other event (as while a subscription reconnects).
    const watch = store.watch.bind(store);
    let watching: () => void = () => undefined;
    const followed = new Promise<void>((resolve) => (watching = resolve));
    store.watch = (jobId, listener) => {
      const stop = watch(jobId, (e) => (e.seq % 2 === 0 ? listener(e) : undefined));
      watching();
      return stop;
    };
    const response = request(runtime.app).get(`/v1/jobs/${id}/events`).buffer(true).parse((res, cb) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => cb(null, text));
    }).then((r) => r.body as string);
    await followed;
    await store.append(id, { type: 'start', data: {} });
    await store.append(id, { type: 'text', data: { text: 'a' } });
    await store.append(id, { type: 'text', data: { text: 'b' } });
    await store.update(id, (job) => ({ ...job, state: 'succeeded', finishedAt: Date.now() }));
    await store.append(id, { type: 'result', data: {} });
    const text = await response;
    for (const line of text.split('\n')) if (line.startsWith('id: ')) seen.push(Number(line.slice(4)));
    expect(seen).toEqual([1, 2, 3, 4]);
  });
});
