import { Redis } from 'ioredis';
import { startRedis, waitUntil, type TestRedis } from '@ccp/testing';
import { BullmqJobQueue } from './bullmq-queue';
import { JobCancelled, type JobHandOut, type JobProcessor } from './job-queue';

// The BullMQ queue against a real redis-server; two queues on one prefix play two replicas.

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as never;

let server: TestRedis;
const connections: Redis[] = [];
const queues: BullmqJobQueue[] = [];
const unfinished: (() => void)[] = [];
let n = 0;

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  for (const finish of unfinished) finish(); // a worker closes once its processors end
  for (const q of queues) await q.close();
  for (const c of connections) await c.quit();
  await server?.stop();
});

/** A queue (one replica) on `prefix`. */
function replica(prefix: string, options: { concurrency?: number; lockMs?: number; accepting?: () => boolean } = {}): BullmqJobQueue {
  const redis = new Redis(server.url);
  connections.push(redis);
  const queue = new BullmqJobQueue({ url: server.url, redis, concurrency: options.concurrency ?? 1, lockMs: options.lockMs ?? 5_000, accepting: options.accepting ?? (() => true), logger: silent, prefix });
  queues.push(queue);
  return queue;
}

/** A processor whose runs the test ends one by one. */
function held() {
  const started: { id: string; replica: string; signal: AbortSignal; handOut: JobHandOut }[] = [];
  const finish = new Map<string, () => void>();
  let running = 0;
  let most = 0;
  const on = (name: string): JobProcessor => (id, signal, handOut) =>
    new Promise<void>((resolve) => {
      started.push({ id, replica: name, signal, handOut });
      most = Math.max(most, ++running);
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        running--;
        resolve();
      };
      finish.set(id, end);
      unfinished.push(end);
      signal.addEventListener('abort', end, { once: true });
    });
  return { started, finish, on, most: () => most };
}

// Ids as the job service makes them (a BullMQ job id such as "wait" would name one of the queue's own keys).
const job = (id: string) => ({ id, owner: 'alice', maxRunning: 5 });

describe('BullmqJobQueue', () => {
  it('lets any replica run any job, each once, at most `concurrency` per worker', async () => {
    const prefix = `t${++n}:`;
    const a = replica(prefix);
    const b = replica(prefix);
    const p = held();
    a.start(p.on('a'));
    b.start(p.on('b'));
    for (let i = 0; i < 6; i++) await a.enqueue(job(`j${i}`));
    for (let done = 0; done < 6; done++) {
      expect(await waitUntil(() => p.started.length > done, 5_000, 10)).toBe(true);
      p.finish.get((p.started[done] as { id: string }).id)?.();
    }
    expect(p.started.map((s) => s.id).sort()).toEqual(['j0', 'j1', 'j2', 'j3', 'j4', 'j5']);
    expect(new Set(p.started.map((s) => s.replica))).toEqual(new Set(['a', 'b']));
    expect(p.most()).toBeLessThanOrEqual(2);
    expect(p.started.every((s) => s.handOut.lost === 0)).toBe(true);
  });

  it('drops a waiting job on cancel, and aborts a running one on whichever replica holds it', async () => {
    const prefix = `t${++n}:`;
    const a = replica(prefix);
    const b = replica(prefix);
    const p = held();
    a.start(p.on('a'));
    await a.enqueue(job('job-run'));
    expect(await waitUntil(() => p.started.length === 1, 5_000, 10)).toBe(true);
    await a.enqueue(job('job-wait')); // a's only place is taken
    expect(await b.cancel('job-wait', new JobCancelled('x'))).toBe('dropped');
    expect(await b.cancel('job-run', new JobCancelled('x'))).toBe('signalled');
    expect(await waitUntil(() => p.started[0]?.signal.aborted === true, 2_000, 10)).toBe(true);
    expect(p.started[0]?.signal.reason).toBeInstanceOf(JobCancelled);
    // The aborted run freed a's one place: a job queued now starts next, and the dropped one never did.
    await a.enqueue(job('job-after'));
    expect(await waitUntil(() => p.started.length === 2, 5_000, 10)).toBe(true);
    expect(p.started.map((s) => s.id)).toEqual(['job-run', 'job-after']);
    expect(await b.cancel('never-submitted', undefined)).toBeUndefined();
  });

  it('puts back the job its processor holds, to run again after the delay', async () => {
    const prefix = `t${++n}:`;
    const a = replica(prefix);
    const runs: number[] = [];
    a.start(async (id) => {
      runs.push(Date.now());
      if (runs.length === 1) await a.enqueue(job(id), 300);
    });
    await a.enqueue(job('busy'));
    expect(await waitUntil(() => runs.length === 2, 5_000, 10)).toBe(true);
    expect((runs[1] as number) - (runs[0] as number)).toBeGreaterThanOrEqual(290);
  });

  it('hands a job whose instance died to another one after the lock time, with the loss counted', async () => {
    const prefix = `t${++n}:`;
    const dying = replica(prefix, { lockMs: 600 });
    const p = held();
    dying.start(p.on('dying'));
    await dying.enqueue(job('orphan'));
    expect(await waitUntil(() => p.started.length === 1, 5_000, 10)).toBe(true);
    // As a SIGKILL: its connections go, its lock is never renewed or released.
    const worker = (dying as unknown as { worker: { close(force: boolean): Promise<void> } }).worker;
    await worker.close(true);
    const survivor = replica(prefix, { lockMs: 600 });
    survivor.start(p.on('survivor'));
    expect(await waitUntil(() => p.started.length === 2, 10_000, 20)).toBe(true);
    expect(p.started[1]).toMatchObject({ id: 'orphan', replica: 'survivor', handOut: { lost: 1 } });
  });

  it('sends a job back to the queue when its instance drains before it starts', async () => {
    const prefix = `t${++n}:`;
    let accepting = true;
    const a = replica(prefix, { accepting: () => accepting });
    const p = held();
    a.start(p.on('a'));
    await a.enqueue(job('first'));
    expect(await waitUntil(() => p.started.length === 1, 5_000, 10)).toBe(true);
    accepting = false;
    await a.pause();
    await a.enqueue(job('second'));
    // a takes nothing new while draining: the job waits for b, which runs it.
    const b = replica(prefix, { concurrency: 2 });
    b.start(p.on('b'));
    expect(await waitUntil(() => p.started.length === 2, 5_000, 10)).toBe(true);
    expect(p.started[1]).toMatchObject({ id: 'second', replica: 'b' });
    // A job that could not start while its instance drained is put back (JobService enqueues it again).
    await a.enqueue(job('first'), 0);
    p.finish.get('first')?.();
    expect(await waitUntil(() => p.started.length === 3, 5_000, 10)).toBe(true);
    expect(p.started[2]).toMatchObject({ id: 'first', replica: 'b' });
  });
});
