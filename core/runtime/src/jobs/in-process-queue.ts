import type { CancelOutcome, JobProcessor, JobQueue, QueuedJob } from './job-queue';

/**
 * Jobs that may run at once: `jobs.concurrency`, but never more than half the instance's
 * in-flight capacity, so synchronous calls always have the other half (and jobs still pass
 * admission underneath, like every call).
 */
export function jobConcurrency(configured: number, inFlight: number): number {
  return Math.max(1, Math.min(configured, Math.floor(inFlight / 2)));
}

/** How the in-process queue is bounded. */
export interface InProcessQueueOptions {
  /** Jobs running at once. */
  readonly concurrency: number;
  /** Whether new jobs may start (false once the instance drains). */
  readonly accepting: () => boolean;
  /** Errors a processor should not have thrown. */
  readonly onError?: (err: unknown, id: string) => void;
}

/**
 * A FIFO queue in this process: at most `concurrency` jobs run at once, and at most an
 * owner's `maxRunning` of them belong to one owner, so one key's burst cannot hold every
 * place (a later job of another key is started first). Lost on restart.
 */
export class InProcessQueue implements JobQueue {
  readonly shared = false;
  private readonly waiting: QueuedJob[] = [];
  private readonly running = new Map<string, { readonly owner: string; readonly controller: AbortController }>();
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  /** When each job was first queued (a job put back keeps its place in time). */
  private readonly since = new Map<string, number>();
  private processor: JobProcessor | undefined;
  private closed = false;

  constructor(private readonly options: InProcessQueueOptions) {}

  get size() {
    let oldest: number | undefined;
    for (const job of this.waiting) {
      const at = this.since.get(job.id);
      if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
    }
    return { waiting: this.waiting.length + this.delayed.size, running: this.running.size, ...(oldest !== undefined ? { oldestWaitingSince: oldest } : {}) };
  }

  start(processor: JobProcessor): void {
    this.processor ??= processor;
    this.pump();
  }

  async enqueue(job: QueuedJob, delayMs = 0): Promise<void> {
    if (this.closed) return;
    if (!this.since.has(job.id)) this.since.set(job.id, Date.now());
    if (delayMs <= 0) {
      this.waiting.push(job);
      this.pump();
      return;
    }
    const timer = setTimeout(() => {
      this.delayed.delete(job.id);
      this.waiting.push(job);
      this.pump();
    }, delayMs);
    timer.unref();
    this.delayed.set(job.id, timer);
  }

  async cancel(id: string, reason: unknown): Promise<CancelOutcome | undefined> {
    const timer = this.delayed.get(id);
    if (timer) {
      clearTimeout(timer);
      this.delayed.delete(id);
      this.since.delete(id);
      return 'dropped';
    }
    const at = this.waiting.findIndex((j) => j.id === id);
    if (at >= 0) {
      this.waiting.splice(at, 1);
      this.since.delete(id);
      return 'dropped';
    }
    const run = this.running.get(id);
    if (!run) return undefined;
    run.controller.abort(reason);
    return 'signalled';
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.waiting.length = 0;
    this.since.clear();
  }

  private runningFor(owner: string): number {
    let n = 0;
    for (const r of this.running.values()) if (r.owner === owner) n++;
    return n;
  }

  private pump(): void {
    const processor = this.processor;
    if (!processor) return;
    while (!this.closed && this.running.size < this.options.concurrency && this.options.accepting()) {
      const at = this.waiting.findIndex((j) => this.runningFor(j.owner) < j.maxRunning);
      if (at < 0) return;
      const [job] = this.waiting.splice(at, 1) as [QueuedJob];
      const controller = new AbortController();
      this.running.set(job.id, { owner: job.owner, controller });
      void processor(job.id, controller.signal, { lost: 0 })
        .catch((err: unknown) => this.options.onError?.(err, job.id))
        .finally(() => {
          this.running.delete(job.id);
          // Put back by its processor (its key was busy), it keeps its time; else it is done with.
          if (!this.delayed.has(job.id) && !this.waiting.some((j) => j.id === job.id)) this.since.delete(job.id);
          this.pump();
        });
    }
  }
}
