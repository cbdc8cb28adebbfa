import { randomUUID } from 'node:crypto';
import { ConflictError, InputError, NotFoundError, RateLimitedError, UnavailableError, type Logger } from '@ccp/plugin-api';
import type { AuditLog } from '../audit/audit-log';
import type { Caller } from '../auth/caller';
import type { OperationCallRequest } from '../calls/call';
import type { Planner } from '../calls/plan';
import type { CallRunner } from '../calls/runner';
import { auditRefusal } from '../calls/stages/audit';
import { toPlatformError } from '../calls/to-problem';
import type { PlatformConfig } from '../config/schema';
import { publicEvent } from '../http/event-stream';
import { sharedStateError } from '../state/unavailable';
import { problemBody } from '../http/problem';
import type { Lifecycle } from '../lifecycle/lifecycle';
import type { BudgetLimit } from '../limits/budget';
import type { Metrics } from '../metrics/metrics';
import { takeAll, type Limit } from '../limits/limit';
import { IDEMPOTENCY_KEY, requestHash } from './idempotency';
import { FINAL_STATES, queuedJob, type Job, type JobEvent, type JobState } from './job';
import { ProgressTracker } from './job-progress';
import { JobCancelled, JobLost, type JobHandOut, type JobQueue } from './job-queue';
import type { JobFilter, JobPage, JobStore } from './job-store';
import { deliveriesDocument } from './webhooks/delivery';
import type { WebhookDispatcher } from './webhooks/webhook-dispatcher';
import type { WebhookPolicy } from './webhooks/webhook-policy';

/** Who submits a job, from the transport. */
export interface JobOrigin {
  readonly requestId: string;
  readonly caller: Caller;
  readonly clientIp?: string;
}

/** What a job runs. */
export interface JobSpec {
  readonly plugin: string;
  readonly operation: string;
  readonly input: unknown;
  readonly cacheControl?: 'no-cache';
  /** A URL to deliver the job's end to (checked against `jobs.webhooks.allowedUrls`). */
  readonly webhook?: string;
}

/** What {@link JobService} is built from (by the composition root). */
export interface JobServiceDeps {
  readonly store: JobStore;
  readonly queue: JobQueue;
  readonly runner: CallRunner;
  readonly planner: Planner;
  readonly lifecycle: Lifecycle;
  /** The request-rate limits a call counts against (per key, per key and plugin). */
  readonly rateLimits: readonly Limit[];
  readonly budget: Pick<BudgetLimit, 'take' | 'reservationFor'>;
  readonly audit: AuditLog;
  /** The allowlist a webhook is checked against at submission, and who delivers a finished job's webhook. */
  readonly webhooks: { readonly policy: WebhookPolicy; readonly dispatcher: Pick<WebhookDispatcher, 'jobFinished' | 'redeliver'> };
  readonly config: Pick<PlatformConfig, 'jobs' | 'limits' | 'pricing'>;
  readonly logger: Logger;
  /** Counts jobs by the states they reach (`ccp_jobs_total`). */
  readonly metrics?: Pick<Metrics, 'jobs'>;
  readonly now?: () => number;
}

/** A job's runner met the key's concurrency limit (sync calls held it): it waits and tries again. */
const RETRY_BUSY_MS = 1000;
/** How long a cancel waits for another instance to stop and settle the job it runs. */
const REMOTE_CANCEL_WAIT_MS = 10_000;
/** A job lost this many times before its query started is not handed out again (it may be what kills its instances). */
const MAX_LOST_BEFORE_START = 2;
/** A follower re-reads the events this often when it heard nothing (a shared store's live events can be missed during a reconnect). */
const FOLLOW_RECHECK_MS = 5_000;

const cancelledProblem = (requestId: string, id: string) =>
  problemBody(new ConflictError('job_cancelled', 'The job was cancelled (DELETE /v1/jobs/{id}) before it finished. Submit it again to run it.'), requestId, `/v1/jobs/${id}`);

const workerLostProblem = (requestId: string, id: string, why: string) =>
  problemBody(
    new UnavailableError('worker_lost', `The instance running this job stopped (it crashed or was killed) ${why}, so it was not run again: a second run could spend twice. Its progress shows what was recorded. Submit it again to run it.`),
    requestId,
    `/v1/jobs/${id}`,
  );

/** Whether a job has shown or spent anything: an event on its stream, a turn, tokens or cost. */
const producedOutput = (job: Job, events: number) =>
  events > 0 || job.progress.turns > 0 || job.progress.costUsd > 0 || job.progress.usage.inputTokens > 0 || job.progress.usage.outputTokens > 0;

/**
 * Background jobs: submission checks everything a call would be refused for (planner:
 * plugin, access, input, credentials; queued-jobs cap; request rates; budget) so a bad
 * job is a 4xx at once; the queue then runs each through the {@link CallRunner} with
 * transport `job`, recording its events, progress and outcome in the store.
 */
export class JobService {
  private readonly now: () => number;
  /** This process's runs, to wait for a cancelled job to settle. */
  private readonly runs = new Map<string, Promise<void>>();

  private readonly sweeper: NodeJS.Timeout;
  private readonly finishedListeners: ((job: Job) => void)[] = [];

  constructor(private readonly deps: JobServiceDeps) {
    this.now = deps.now ?? Date.now;
    deps.queue.start((id, signal, handOut) => this.process(id, signal, handOut));
    this.sweeper = setInterval(() => void this.sweep().catch((err: unknown) => deps.logger.warn({ err }, 'could not delete expired jobs')), Math.min(deps.config.jobs.retentionMs, 60_000));
    this.sweeper.unref();
  }

  /** Calls `listener` with each job that ends here, once it is recorded (batches end with their last job). */
  onFinished(listener: (job: Job) => void): void {
    this.finishedListeners.push(listener);
  }

  /** Stops taking jobs from the queue and deleting expired ones (shutdown). */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.deps.queue.close();
  }

  /** Submits a job; `created` is false when an Idempotency-Key gave back an earlier one. */
  async submit(origin: JobOrigin, spec: JobSpec, idempotencyKey?: string): Promise<{ job: Job; created: boolean }> {
    const { store, config } = this.deps;
    const startedAt = performance.now();
    const request: OperationCallRequest = {
      kind: 'operation', requestId: origin.requestId, caller: origin.caller, clientIp: origin.clientIp, transport: 'job', streaming: false,
      plugin: spec.plugin, operation: spec.operation, body: spec.input, ...(spec.cacheControl ? { cacheControl: spec.cacheControl } : {}),
    };
    const owner = origin.caller.name;
    const id = randomUUID();
    let claimed = false;
    try {
      this.deps.lifecycle.assertAdmitting();
      if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
        throw new InputError('invalid_input', 'The Idempotency-Key header must be 1-255 visible ASCII characters (a UUID is a good choice).');
      }
      const planned = await this.deps.planner.plan(request);
      const webhook = spec.webhook === undefined ? undefined : this.deps.webhooks.policy.check(spec.webhook).url.href;
      if (idempotencyKey !== undefined) {
        const bodyHash = requestHash(spec);
        const known = await store.claimIdempotencyKey(owner, idempotencyKey, { bodyHash, jobId: id }, config.jobs.idempotencyTtlMs);
        if (known && known.bodyHash !== bodyHash) {
          throw new InputError('idempotency_key_reused', `The Idempotency-Key "${idempotencyKey}" was used for another request (job ${known.jobId}) in the last 24 hours. Send a new key for a new request.`);
        }
        const earlier = known && (await store.get(known.jobId));
        if (earlier) return { job: earlier, created: false };
        claimed = true;
      }
      if ((await store.countQueued(owner)) >= config.jobs.maxQueuedPerKey) {
        throw new RateLimitedError('too_many_jobs', `This key already has ${config.jobs.maxQueuedPerKey} queued jobs (jobs.maxQueuedPerKey). Wait for some to start, or cancel some with DELETE /v1/jobs/{id}.`, { retryAfterSeconds: 5 });
      }
      const subject = { caller: origin.caller, clientIp: origin.clientIp, plugin: planned.call.plugin };
      await takeAll(this.deps.rateLimits, subject);
      // The budget must cover one run now; the run reserves (and settles) its own cost.
      const hold = await this.deps.budget.take({ ...subject, reserveUsd: this.deps.budget.reservationFor(planned.plugin.maxBudgetUsd) });
      await hold.release(0);
      const job = queuedJob(id, origin, planned.call, this.now(), { ...(spec.cacheControl ? { cacheControl: spec.cacheControl } : {}), ...(webhook ? { webhook } : {}) });
      await store.create(job);
      try {
        await this.deps.queue.enqueue({ id, owner, maxRunning: origin.caller.maxConcurrent ?? config.limits.maxConcurrentPerKey });
      } catch (err) {
        // The shared queue did not take it: the job must not wait forever as queued.
        const refused = sharedStateError(err);
        await this.finish(id, 'failed', { error: problemBody(refused, origin.requestId, `/v1/jobs/${id}`) }, origin.requestId, true).catch(() => undefined);
        throw refused;
      }
      this.deps.metrics?.jobs.inc({ plugin: job.plugin, state: 'queued' });
      return { job, created: true };
    } catch (err) {
      if (claimed && idempotencyKey !== undefined) await store.releaseIdempotencyKey(owner, idempotencyKey);
      auditRefusal(this.deps.audit, request, err, startedAt);
      throw err;
    }
  }

  /** The caller's job, or 404 (another caller's job is not found either; a job past retention is gone). */
  async get(owner: string, id: string): Promise<Job> {
    const job = await this.kept(id);
    if (!job || job.owner !== owner) {
      throw new NotFoundError('job_not_found', `There is no job "${id}" for this key (results are kept for jobs.retentionMs; without Redis, the in-process queue forgets jobs on restart). GET /v1/jobs lists yours.`);
    }
    return job;
  }

  /** A job still within its retention, whoever owns it. */
  private async kept(id: string): Promise<Job | undefined> {
    const job = await this.deps.store.get(id);
    const expired = job?.finishedAt !== undefined && job.finishedAt + this.deps.config.jobs.retentionMs <= this.now();
    return expired ? undefined : job;
  }

  /** The caller's job's webhook: where it stands and every delivery attempt (`GET /v1/jobs/{id}/deliveries`). */
  async deliveries(owner: string, id: string): Promise<Record<string, unknown>> {
    const job = await this.get(owner, id);
    return deliveriesDocument(job, await this.deps.store.deliveries(id));
  }

  /**
   * Delivers a finished job's webhook again, whoever owns it (an admin's redelivery); answers
   * once that attempt is recorded (a failure retries on the usual schedule).
   */
  async redeliver(id: string): Promise<Record<string, unknown>> {
    const job = await this.kept(id);
    if (!job) throw new NotFoundError('job_not_found', `There is no job "${id}" (results are kept for jobs.retentionMs; without Redis, the in-process queue forgets jobs on restart).`);
    if (!job.webhook) throw new ConflictError('job_not_redeliverable', `Job "${id}" was submitted without a webhook: there is nothing to deliver.`);
    if (!FINAL_STATES.has(job.state)) throw new ConflictError('job_not_redeliverable', `Job "${id}" is ${job.state}: its webhook is delivered when it ends. Redeliver after that.`);
    await this.deps.webhooks.dispatcher.redeliver(id);
    return deliveriesDocument(job, await this.deps.store.deliveries(id));
  }

  list(owner: string, filter: JobFilter): Promise<JobPage> {
    return this.deps.store.list(owner, filter);
  }

  /** Cancels a job: a queued one never runs; a running one is stopped and settled at its real spend. Returns the job once settled. */
  async cancel(owner: string, id: string): Promise<Job> {
    const job = await this.get(owner, id);
    if (FINAL_STATES.has(job.state)) return job;
    const outcome = await this.deps.queue.cancel(id, new JobCancelled('cancelled by DELETE'));
    const run = this.runs.get(id);
    if (run) await run;
    // Dropped from the queue, or run by another instance that did not settle it in time (it may be gone): record the cancel here.
    else if (outcome === 'dropped' || (outcome === 'signalled' && !(await this.settles(id, REMOTE_CANCEL_WAIT_MS)))) {
      await this.finish(id, 'cancelled', { error: cancelledProblem(job.requestId, id) }, job.requestId, (await this.deps.store.events(id, 0)).length === 0);
    }
    return this.get(owner, id);
  }

  /** Waits until a job is final (another instance settles it), up to `timeoutMs`. */
  private async settles(id: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await this.deps.store.get(id);
      if (!job || FINAL_STATES.has(job.state)) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * DELETE of a job: one still queued or running is cancelled (and answered, settled); one
   * that has ended is deleted with its stored input, result, events and deliveries (undefined).
   */
  async cancelOrDelete(owner: string, id: string): Promise<Job | undefined> {
    const job = await this.get(owner, id);
    if (!FINAL_STATES.has(job.state)) return this.cancel(owner, id);
    await this.deps.store.delete(id);
    return undefined;
  }

  /** An admin's purge of a key's jobs: its unfinished ones are cancelled, then every one is deleted. Returns how many went. */
  async purge(owner: string): Promise<number> {
    let deleted = 0;
    for (;;) {
      const page = await this.deps.store.list(owner, { limit: 100 });
      if (page.jobs.length === 0) return deleted;
      for (const job of page.jobs) {
        if (!FINAL_STATES.has(job.state)) await this.cancel(owner, job.id);
        if (await this.deps.store.delete(job.id)) deleted++;
      }
    }
  }

  /**
   * Follows a job's events after `afterSeq` (its SSE `Last-Event-ID`): those recorded, then
   * live ones, each once and in order, until its final `result` or `error` (or `signal`). A
   * live event that skips a number (one missed while a shared store's connection was down,
   * or while its subscription started) is filled in from the recorded events.
   */
  async follow(owner: string, id: string, afterSeq: number, send: (event: JobEvent) => void, signal: AbortSignal): Promise<void> {
    await this.get(owner, id);
    const { store } = this.deps;
    let last = afterSeq;
    let ended = false;
    let wake: () => void = () => undefined;
    const buffered: JobEvent[] = [];
    const deliver = (e: JobEvent) => {
      if (ended) return;
      last = e.seq;
      send(e);
      if (e.type === 'result' || e.type === 'error') ended = true;
    };
    const catchUp = async () => {
      for (const e of await store.events(id, last)) if (e.seq === last + 1) deliver(e);
    };
    const stop = store.watch(id, (e) => {
      buffered.push(e);
      wake();
    });
    const aborted = () => wake();
    signal.addEventListener('abort', aborted);
    try {
      await catchUp();
      while (!ended && !signal.aborted) {
        if (buffered.length === 0) {
          const job = await store.get(id);
          if (!job) break;
          // A final job's last event is written just after its state: wait for it a moment, not forever.
          const final = FINAL_STATES.has(job.state);
          let timer: NodeJS.Timeout | undefined;
          const woke = await new Promise<boolean>((resolve) => {
            wake = () => resolve(true);
            timer = setTimeout(() => resolve(false), final ? 1000 : FOLLOW_RECHECK_MS);
          });
          clearTimeout(timer);
          if (!woke) {
            await catchUp();
            if (final) break;
            continue;
          }
        }
        for (const e of buffered.splice(0)) {
          if (e.seq <= last) continue;
          if (e.seq > last + 1) {
            await catchUp();
            break;
          }
          deliver(e);
        }
      }
    } finally {
      stop();
      signal.removeEventListener('abort', aborted);
    }
  }

  /** Deletes jobs finished longer than `jobs.retentionMs` ago. */
  sweep(): Promise<number> {
    return this.deps.store.sweep(this.now() - this.deps.config.jobs.retentionMs);
  }

  private process(id: string, signal: AbortSignal, handOut: JobHandOut): Promise<void> {
    const run = this.runOne(id, signal, handOut).catch((err: unknown) => this.deps.logger.error({ err, jobId: id }, 'a job could not be recorded'));
    this.runs.set(id, run);
    return run.finally(() => this.runs.delete(id));
  }

  private async runOne(id: string, signal: AbortSignal, handOut: JobHandOut): Promise<void> {
    const { store } = this.deps;
    const queued = await store.get(id);
    if (!queued || FINAL_STATES.has(queued.state)) return;
    if (queued.state === 'running') {
      // Handed out while it shows running: the instance that ran it was lost (a shared queue
      // gave the job back after its lock lapsed). Run it again only if it had shown and spent
      // nothing, so no job runs twice after spending.
      const events = (await store.events(id, 0)).length;
      if (producedOutput(queued, events) || handOut.lost > MAX_LOST_BEFORE_START) {
        const why = producedOutput(queued, events) ? 'after the job had started its query' : `${handOut.lost} times before the job's query started`;
        this.deps.logger.warn({ jobId: id, lost: handOut.lost, events }, 'a job whose instance was lost is failed as worker_lost');
        return this.finish(id, 'failed', { error: workerLostProblem(queued.requestId, id, why) }, queued.requestId, events === 0);
      }
      this.deps.logger.info({ jobId: id, lost: handOut.lost }, 'a job whose instance was lost before its query started runs again');
    }
    if (signal.aborted && signal.reason instanceof JobCancelled) return this.finish(id, 'cancelled', { error: cancelledProblem(queued.requestId, id) }, queued.requestId, true);
    if (signal.aborted) return;
    const job = await store.update(id, (j) => ({ ...j, state: 'running', startedAt: this.now() }));
    if (!job) return;
    const progress = new ProgressTracker(this.deps.config.pricing);
    // The sink is synchronous; writes to the store are kept in order on one chain.
    let writes = Promise.resolve();
    const write = (fn: () => Promise<unknown>) => (writes = writes.then(fn).then(() => undefined, (err: unknown) => this.deps.logger.warn({ err, jobId: id }, 'a job event could not be recorded')));
    let started = false;
    const request: OperationCallRequest = {
      kind: 'operation', requestId: job.requestId, caller: job.caller, clientIp: job.clientIp, transport: 'job', streaming: false, jobId: id,
      plugin: job.plugin, operation: job.operation, body: job.input, ...(job.cacheControl ? { cacheControl: job.cacheControl } : {}),
    };
    try {
      const result = await this.deps.runner.run(
        request,
        {
          event: (event) => {
            const changed = progress.see(event);
            if (changed) write(() => store.update(id, (j) => ({ ...j, progress: changed })));
            if (event.type === 'start' && !started) {
              // The mark that the query began: a job lost after it is never run again. The claude CLI
              // reports its start about 0.1 s before its first API request; the messages engine in the
              // same tick as it opens its request (this write goes out first).
              started = true;
              write(() => store.append(id, { type: 'start', data: { requestId: job.requestId, sessionId: event.sessionId } }));
            }
            const out = publicEvent(event);
            if (out) write(() => store.append(id, { type: out.type as 'text' | 'tool', data: out.data }));
          },
        },
        signal,
      );
      await writes;
      if (!started) await store.append(id, { type: 'start', data: { requestId: job.requestId, sessionId: result.sessionId } });
      await this.finish(id, 'succeeded', { result, progress: { ...progress.current, usage: result.usage, costUsd: result.usage.costUsd } }, job.requestId);
    } catch (err) {
      await writes;
      const problem = toPlatformError(err);
      if (signal.reason instanceof JobCancelled) return this.finish(id, 'cancelled', { error: cancelledProblem(job.requestId, id) }, job.requestId, !started);
      if (signal.reason instanceof JobLost) {
        // Another instance may hold the job now: it decides, as for a job whose instance died.
        if (started) await this.finish(id, 'failed', { error: workerLostProblem(job.requestId, id, 'after the job had started its query') }, job.requestId);
        return;
      }
      const requeue = !started && (problem.code === 'too_many_in_flight' || (problem.code === 'shutting_down' && this.deps.queue.shared));
      if (requeue) {
        // Synchronous calls of the same key hold its slots: the job waits its turn. Or this
        // instance drains before the job started: it goes back to the shared queue for another.
        await store.update(id, (j) => ({ ...j, state: 'queued', startedAt: undefined }));
        await this.deps.queue.enqueue({ id, owner: job.owner, maxRunning: job.caller.maxConcurrent ?? this.deps.config.limits.maxConcurrentPerKey }, problem.code === 'too_many_in_flight' ? RETRY_BUSY_MS : 0);
        return;
      }
      await this.finish(id, 'failed', { error: problemBody(problem, job.requestId, `/v1/jobs/${id}`) }, job.requestId, !started);
    }
  }

  /** Records a job's end and its last event (`result` or `error`), after a `start` when none was sent. */
  private async finish(id: string, state: JobState, fields: Partial<Job>, requestId: string, needsStart = false): Promise<void> {
    const { store } = this.deps;
    // Only the change that ended the job writes its last event (another instance may end it too).
    let ended = false;
    const job = await store.update(id, (j) => {
      ended = !FINAL_STATES.has(j.state);
      return ended ? { ...j, ...fields, state, finishedAt: this.now() } : j;
    });
    if (!job || !ended) return;
    if (needsStart) await store.append(id, { type: 'start', data: { requestId, sessionId: null } });
    await store.append(id, state === 'succeeded' ? { type: 'result', data: job.result } : { type: 'error', data: job.error });
    this.deps.metrics?.jobs.inc({ plugin: job.plugin, state });
    this.deps.webhooks.dispatcher.jobFinished(job);
    for (const listener of this.finishedListeners) listener(job);
  }
}
