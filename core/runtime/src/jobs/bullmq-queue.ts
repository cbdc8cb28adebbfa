import { DelayedError, Queue, WaitingError, Worker, type Job as BullJob } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '@ccp/plugin-api';
import { REDIS_OPTIONS } from '../state/shared-state';
import { JobCancelled, JobLost, type CancelOutcome, type JobProcessor, type JobQueue, type QueuedJob } from './job-queue';

/** A job's lock (and the stalled-job check) is never shorter than this, whatever the drain time. */
export const MIN_LOCK_MS = 5_000;
/** How long a cancel flag is kept for a job that is handed out again later (a busy retry, a lost instance). */
const CANCEL_FLAG_TTL_MS = 24 * 3_600_000;
/** How stale the waiting count `size` reports may be. */
const COUNT_REFRESH_MS = 2_000;
/** BullMQ's own give-up on a job that stalls again and again; the processor decides long before (see JobService). */
const MAX_STALLED = 1_000;

/** What a BullMQ job carries: the job itself stays in the job store. */
interface QueuedData {
  readonly owner: string;
  readonly maxRunning: number;
}

/** How the BullMQ queue is built (by the composition root). */
export interface BullmqQueueOptions {
  /** REDIS_URL: BullMQ makes its own connections (its worker's block, so they wait for Redis rather than fail fast). */
  readonly url: string;
  /** The shared, fail-fast connection: cancel flags and their announcements. */
  readonly redis: Redis;
  /** Jobs this instance's worker runs at once (the same capacity budget as the in-process queue). */
  readonly concurrency: number;
  /**
   * How long a job's lock lasts without renewal, and how often workers look for jobs whose
   * lock lapsed: the drain time, so a job is taken from an instance only once it has been
   * silent for as long as a drain may take.
   */
  readonly lockMs: number;
  /** Whether new jobs may start here (false once the instance drains). */
  readonly accepting: () => boolean;
  readonly logger: Logger;
  /** Key prefix (`ccp:`; tests give each queue its own). */
  readonly prefix?: string;
}

/** A job this instance's worker holds. */
interface Held {
  readonly controller: AbortController;
  /** Set when the processor puts the job back (a busy key, a drain): ms before it may run again. */
  requeueAfterMs?: number;
}

/**
 * Jobs as BullMQ jobs on the deployment's Redis, so any replica's worker may run any job and
 * a restart loses none. Each worker runs at most `concurrency` jobs; a job's lock is renewed
 * while it runs, and a job whose instance died (its lock lapsed for `lockMs`) is handed out
 * again with its loss counted, for the processor to run again or fail as `worker_lost`. A
 * cancel drops a waiting job, or sets a flag and announces it on a channel every worker
 * listens to, so the worker holding the job aborts its signal. When the instance drains, its
 * worker stops fetching, and a job it holds that has not started goes back to the queue.
 */
export class BullmqJobQueue implements JobQueue {
  readonly shared = true;
  private readonly queue: Queue<QueuedData>;
  private worker: Worker<QueuedData> | undefined;
  private subscriber: Redis | undefined;
  private processor: JobProcessor | undefined;
  private readonly held = new Map<string, Held>();
  private readonly p: string;
  private closed = false;
  private counted: { waiting: number; oldest?: number; at: number; pending: boolean } = { waiting: 0, at: 0, pending: false };

  constructor(private readonly options: BullmqQueueOptions) {
    this.p = options.prefix ?? 'ccp:';
    // Submissions fail fast while Redis is away (a typed 503), like every other shared state.
    this.queue = new Queue<QueuedData>('jobs', { connection: { url: options.url, ...REDIS_OPTIONS }, prefix: `${this.p}bull` });
    this.queue.on('error', (err) => options.logger.warn({ err }, 'job queue: Redis error'));
  }

  private get cancelChannel(): string {
    return `${this.p}jobs-cancel`;
  }

  private cancelFlag(id: string): string {
    return `${this.p}job-cancel:${id}`;
  }

  get size() {
    if (!this.counted.pending && Date.now() - this.counted.at > COUNT_REFRESH_MS && !this.closed) {
      this.counted.pending = true;
      void Promise.all([this.queue.getJobCounts('waiting', 'delayed', 'prioritized'), this.queue.getJobs(['waiting'], 0, 0, true)])
        .then(([c, [oldest]]) => {
          this.counted = { waiting: (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0), ...(oldest ? { oldest: oldest.timestamp } : {}), at: Date.now(), pending: false };
        })
        .catch(() => (this.counted = { ...this.counted, pending: false }));
    }
    return { waiting: this.counted.waiting, running: this.held.size, ...(this.counted.oldest !== undefined ? { oldestWaitingSince: this.counted.oldest } : {}) };
  }

  start(processor: JobProcessor): void {
    if (this.processor || this.closed) return;
    this.processor = processor;
    const { logger } = this.options;
    const worker = new Worker<QueuedData>('jobs', (job, token) => this.handle(job, token), {
      // A blocking connection of its own, which waits for Redis instead of failing fast.
      connection: { url: this.options.url, maxRetriesPerRequest: null, connectTimeout: REDIS_OPTIONS.connectTimeout },
      prefix: `${this.p}bull`,
      concurrency: this.options.concurrency,
      lockDuration: this.options.lockMs,
      stalledInterval: this.options.lockMs,
      maxStalledCount: MAX_STALLED,
    });
    worker.on('error', (err) => logger.warn({ err }, 'job worker: Redis error'));
    // The lock on these jobs lapsed: another worker may be handed them, so the run stops here.
    worker.on('lockRenewalFailed', (ids) => {
      for (const id of ids) this.held.get(id)?.controller.abort(new JobLost('this instance lost its lock on the job'));
    });
    worker.on('stalled', (id) => logger.warn({ jobId: id }, 'a job whose instance stopped renewing its lock goes back to the queue'));
    this.worker = worker;
    const subscriber = this.options.redis.duplicate({ enableOfflineQueue: true });
    subscriber.on('error', () => undefined); // it reconnects and subscribes again by itself
    subscriber.on('message', (_channel: string, id: string) => this.held.get(id)?.controller.abort(new JobCancelled('cancelled by DELETE')));
    void subscriber.subscribe(this.cancelChannel).catch((err: unknown) => logger.warn({ err }, 'job queue: could not listen for cancels'));
    this.subscriber = subscriber;
  }

  /** Stops fetching jobs (the drain started); the jobs it holds go on. */
  async pause(): Promise<void> {
    await this.worker?.pause(true);
  }

  async enqueue(job: QueuedJob, delayMs = 0): Promise<void> {
    const held = this.held.get(job.id);
    if (held) {
      held.requeueAfterMs = Math.max(0, delayMs);
      return;
    }
    await this.queue.add('job', { owner: job.owner, maxRunning: job.maxRunning }, { jobId: job.id, delay: Math.max(0, delayMs), removeOnComplete: true, removeOnFail: true });
  }

  async cancel(id: string, reason: unknown): Promise<CancelOutcome | undefined> {
    const here = this.held.get(id);
    if (here) {
      here.controller.abort(reason);
      return 'signalled';
    }
    const job = await this.queue.getJob(id);
    if (!job) return undefined;
    const state = await job.getState();
    if (state === 'completed' || state === 'failed' || state === 'unknown') return undefined;
    // Taken off the queue unless a worker locked it meanwhile (then it is running: tell its holder).
    if (state !== 'active' && (await this.queue.remove(id)) === 1) return 'dropped';
    await this.options.redis.set(this.cancelFlag(id), '1', 'PX', CANCEL_FLAG_TTL_MS);
    await this.options.redis.publish(this.cancelChannel, id);
    return 'signalled';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Waits for the processors it runs (after a drain they have ended), then lets go of Redis.
    await this.worker?.close().catch((err: unknown) => this.options.logger.warn({ err }, 'job worker did not close cleanly'));
    await this.queue.close().catch(() => undefined);
    const subscriber = this.subscriber;
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }

  /** One hand-out of a job to this worker. */
  private async handle(job: BullJob<QueuedData>, token?: string): Promise<void> {
    const id = job.id as string;
    const processor = this.processor;
    if (!processor || this.closed || !this.options.accepting()) {
      // Fetched just as the drain began: back to the queue, for another instance.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    const held: Held = { controller: new AbortController() };
    this.held.set(id, held);
    try {
      // Registered first, then the flag read: a cancel announced before this worker held the job is not missed.
      if ((await this.options.redis.exists(this.cancelFlag(id)).catch(() => 0)) === 1) held.controller.abort(new JobCancelled('cancelled by DELETE'));
      await processor(id, held.controller.signal, { lost: job.stalledCounter ?? 0 });
    } catch (err) {
      this.options.logger.error({ err, jobId: id }, 'job failed outside its call');
    } finally {
      this.held.delete(id);
    }
    if (held.requeueAfterMs === undefined) return;
    if (held.requeueAfterMs > 0) {
      await job.moveToDelayed(Date.now() + held.requeueAfterMs, token);
      throw new DelayedError();
    }
    await job.moveToWait(token);
    throw new WaitingError();
  }
}
