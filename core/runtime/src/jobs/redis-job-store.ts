import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { failClosed } from '../state/unavailable';
import { FINAL_STATES, type Job, type JobEvent } from './job';
import type { IdempotencyRecord, JobFilter, JobPage, JobStore } from './job-store';
import type { DeliveryAttempt } from './webhooks/delivery';
import { RedisDeliveries } from './webhooks/redis-deliveries';

// Creates a job: its document and version, its place in the owner's index (a number from one
// counter, so the index is in submission order whichever replica took it) and, while queued,
// in the owner's set of queued jobs. A job created finished is indexed and expires as below.
const CREATE = `
local seq = redis.call('incr', KEYS[4])
redis.call('hset', KEYS[1], 'doc', ARGV[1], 'v', 1)
redis.call('zadd', KEYS[2], seq, ARGV[3])
if ARGV[2] == 'queued' then redis.call('sadd', KEYS[3], ARGV[3]) end
if ARGV[4] ~= '' then
  redis.call('zadd', KEYS[5], ARGV[4], ARGV[3])
  redis.call('pexpire', KEYS[1], ARGV[5])
end
return seq`;

// Replaces a job's document only if nobody changed it since it was read (its version), so a
// change made on one replica is never lost to another's; keeps the queued set and, once the job
// is finished, the sweep's index and the expiry of the job, its events and its deliveries.
const UPDATE = `
local v = redis.call('hget', KEYS[1], 'v')
if not v then return -1 end
if v ~= ARGV[1] then return 0 end
redis.call('hset', KEYS[1], 'doc', ARGV[2], 'v', tonumber(v) + 1)
if ARGV[3] == 'queued' then redis.call('sadd', KEYS[2], ARGV[4]) else redis.call('srem', KEYS[2], ARGV[4]) end
if ARGV[5] ~= '' then
  redis.call('zadd', KEYS[3], ARGV[5], ARGV[4])
  redis.call('pexpire', KEYS[1], ARGV[6])
  redis.call('pexpire', KEYS[4], ARGV[6])
  redis.call('pexpire', KEYS[5], ARGV[6])
end
return 1`;

// Appends an event: its number is the list's new length, and it is published in the same
// step, so watchers on every replica hear the events in their order. A list begun after the
// job finished takes the job's expiry.
const APPEND = `
if redis.call('exists', KEYS[1]) == 0 then return 0 end
local n = redis.call('rpush', KEYS[2], ARGV[1])
if n == 1 then
  local ttl = redis.call('pttl', KEYS[1])
  if ttl > 0 then redis.call('pexpire', KEYS[2], ttl) end
end
redis.call('publish', ARGV[2], n .. '\\n' .. ARGV[1])
return n`;

// SET NX that returns what was there.
const CLAIM = `
local known = redis.call('get', KEYS[1])
if known then return known end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

// Deletes one job with everything stored with it and everything that points at it; 1 when the
// job was still there.
const REMOVE = `
local gone = redis.call('del', KEYS[1])
redis.call('del', KEYS[2], KEYS[3])
redis.call('zrem', KEYS[4], ARGV[1])
redis.call('srem', KEYS[5], ARGV[1])
redis.call('zrem', KEYS[6], ARGV[1])
return gone`;

/** Attempts at a compare-and-set before an update gives up (each loses only to another change). */
const UPDATE_ATTEMPTS = 50;
/** How many index entries a list reads at a time while it filters. */
const LIST_BATCH = 100;
/** How many expired jobs one sweep deletes at most (the next sweep takes the rest). */
const SWEEP_BATCH = 1000;

const encodeCursor = (score: number) => Buffer.from(String(score), 'utf8').toString('base64url');
const decodeCursor = (cursor: string) => Number(Buffer.from(cursor, 'base64url').toString('utf8'));

/** What the store is built with. */
export interface RedisJobStoreOptions {
  /** How long a finished job and its events are kept (`jobs.retentionMs`): Redis lets them go then. */
  readonly retentionMs: number;
  /** Key prefix (`ccp:`; tests give each store its own). */
  readonly prefix?: string;
}

/**
 * Jobs in Redis, shared by every replica, so any instance can show, stream or cancel any job
 * and a restart loses nothing: a job is a hash (its JSON document and a version for
 * compare-and-set updates), each owner has an index in submission order and a set of queued
 * jobs, events are a list numbered from 1 (so `Last-Event-ID` resumes on any replica) and
 * are published on a channel per job for live watchers, webhook delivery attempts are a list
 * beside them, Idempotency-Keys are claimed atomically with an expiry. A finished job, its
 * events and its deliveries expire `retentionMs` after it ended (the sweep also deletes them,
 * with their index entries). Commands fail fast while
 * Redis is away: a typed 503 `shared_state_unavailable`.
 */
export class RedisJobStore implements JobStore {
  private readonly p: string;
  private readonly deliveryLists: RedisDeliveries;
  private subscriber: Redis | undefined;
  /** Live listeners by job, and the subscription they share. */
  private readonly watchers = new Map<string, { readonly listeners: Set<(event: JobEvent) => void>; readonly subscribed: Promise<unknown> }>();

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisJobStoreOptions,
  ) {
    this.p = options.prefix ?? 'ccp:';
    this.deliveryLists = new RedisDeliveries(redis);
  }

  private jobKey = (id: string) => `${this.p}job:${id}`;
  private eventsKey = (id: string) => `${this.p}job-events:${id}`;
  private deliveriesKey = (id: string) => `${this.p}job-deliveries:${id}`;
  private ownerKey = (owner: string) => `${this.p}jobs-of:${owner}`;
  private queuedKey = (owner: string) => `${this.p}jobs-queued:${owner}`;
  private finishedKey = () => `${this.p}jobs-finished`;
  private channel = (id: string) => `${this.p}job-events:${id}`;
  private idempotencyKey = (owner: string, key: string) => `${this.p}job-key:${createHash('sha256').update(`${owner}\u0000${key}`).digest('hex')}`;

  async create(job: Job): Promise<void> {
    const final = FINAL_STATES.has(job.state) ? String(job.finishedAt ?? Date.now()) : '';
    await failClosed(
      this.redis.eval(CREATE, 5, this.jobKey(job.id), this.ownerKey(job.owner), this.queuedKey(job.owner), `${this.p}jobs-seq`, this.finishedKey(), JSON.stringify(job), job.state, job.id, final, String(this.options.retentionMs)),
    );
  }

  async get(id: string): Promise<Job | undefined> {
    const doc = await failClosed(this.redis.hget(this.jobKey(id), 'doc'));
    return doc ? (JSON.parse(doc) as Job) : undefined;
  }

  async update(id: string, change: (job: Job) => Job): Promise<Job | undefined> {
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const [doc, version] = await failClosed(this.redis.hmget(this.jobKey(id), 'doc', 'v'));
      if (!doc || !version) return undefined;
      const next = change(JSON.parse(doc) as Job);
      const final = FINAL_STATES.has(next.state) ? String(next.finishedAt ?? Date.now()) : '';
      const applied = Number(
        await failClosed(
          this.redis.eval(UPDATE, 5, this.jobKey(id), this.queuedKey(next.owner), this.finishedKey(), this.eventsKey(id), this.deliveriesKey(id), version, JSON.stringify(next), next.state, id, final, String(this.options.retentionMs)),
        ),
      );
      if (applied === 1) return next;
      if (applied === -1) return undefined;
    }
    throw new Error(`job ${id} changed ${UPDATE_ATTEMPTS} times while it was being updated`);
  }

  async list(owner: string, filter: JobFilter): Promise<JobPage> {
    let max = '+inf';
    if (filter.cursor !== undefined) {
      const after = decodeCursor(filter.cursor);
      if (!Number.isFinite(after)) return { jobs: [] };
      max = `(${after}`;
    }
    const found: { job: Job; score: number }[] = [];
    let more = false;
    for (;;) {
      const page = await failClosed(this.redis.zrevrangebyscore(this.ownerKey(owner), max, '-inf', 'WITHSCORES', 'LIMIT', 0, LIST_BATCH));
      if (page.length === 0) break;
      const ids = page.filter((_, i) => i % 2 === 0);
      const scores = page.filter((_, i) => i % 2 === 1).map(Number);
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hget(this.jobKey(id), 'doc');
      const docs = ((await failClosed(pipeline.exec())) ?? []).map(([err, doc]) => (err ? null : (doc as string | null)));
      const gone = ids.filter((_, i) => docs[i] === null);
      // A job that expired by itself leaves its index entry behind: tidy it on the way.
      if (gone.length > 0) await failClosed(this.redis.zrem(this.ownerKey(owner), ...gone));
      for (let i = 0; i < ids.length && !more; i++) {
        const doc = docs[i];
        if (!doc) continue;
        const job = JSON.parse(doc) as Job;
        if ((filter.state && job.state !== filter.state) || (filter.plugin && job.plugin !== filter.plugin)) continue;
        if (found.length < filter.limit) found.push({ job, score: scores[i] as number });
        else more = true;
      }
      if (more || ids.length < LIST_BATCH) break;
      max = `(${scores[scores.length - 1]}`;
    }
    const last = found[found.length - 1];
    return { jobs: found.map((f) => f.job), ...(more && last ? { nextCursor: encodeCursor(last.score) } : {}) };
  }

  async countQueued(owner: string): Promise<number> {
    return failClosed(this.redis.scard(this.queuedKey(owner)));
  }

  async append(id: string, event: Omit<JobEvent, 'seq'>): Promise<JobEvent> {
    const seq = Number(await failClosed(this.redis.eval(APPEND, 2, this.jobKey(id), this.eventsKey(id), JSON.stringify({ type: event.type, data: event.data }), this.channel(id))));
    if (seq === 0) throw new Error(`no job ${id}`);
    return { seq, type: event.type, data: event.data };
  }

  async events(id: string, afterSeq: number): Promise<readonly JobEvent[]> {
    const from = Math.max(0, Math.floor(afterSeq));
    const raws = await failClosed(this.redis.lrange(this.eventsKey(id), from, -1));
    return raws.map((raw, i) => ({ seq: from + i + 1, ...(JSON.parse(raw) as Omit<JobEvent, 'seq'>) }));
  }

  /**
   * Calls `listener` for each event appended from now on, on any replica. Once its
   * subscription is in place it also gets the latest event so far (which it may have
   * already), so an event appended while it subscribed is not silently missed; while the
   * connection is down events can be missed: {@link JobService.follow} fills gaps from
   * {@link events}.
   */
  watch(id: string, listener: (event: JobEvent) => void): () => void {
    let watching = this.watchers.get(id);
    if (!watching) {
      watching = { listeners: new Set(), subscribed: this.ensureSubscriber().subscribe(this.channel(id)) };
      this.watchers.set(id, watching);
    }
    watching.listeners.add(listener);
    void watching.subscribed
      .then(() => this.redis.multi().llen(this.eventsKey(id)).lindex(this.eventsKey(id), -1).exec())
      .then((replies) => {
        const length = Number(replies?.[0]?.[1] ?? 0);
        const raw = replies?.[1]?.[1];
        if (typeof raw === 'string' && this.watchers.get(id)?.listeners.has(listener)) listener({ seq: length, ...(JSON.parse(raw) as Omit<JobEvent, 'seq'>) });
      })
      .catch(() => undefined); // a follower re-reads the events on its own
    return () => {
      const current = this.watchers.get(id);
      if (!current?.listeners.delete(listener) || current.listeners.size > 0) return;
      this.watchers.delete(id);
      void this.subscriber?.unsubscribe(this.channel(id)).catch(() => undefined);
    };
  }

  async recordDelivery(id: string, attempt: Omit<DeliveryAttempt, 'attempt'>): Promise<DeliveryAttempt | undefined> {
    return this.deliveryLists.record(this.jobKey(id), this.deliveriesKey(id), attempt);
  }

  async deliveries(id: string): Promise<readonly DeliveryAttempt[]> {
    return this.deliveryLists.list(this.deliveriesKey(id));
  }

  async claimIdempotencyKey(owner: string, key: string, record: IdempotencyRecord, ttlMs: number): Promise<IdempotencyRecord | undefined> {
    const known = await failClosed(this.redis.eval(CLAIM, 1, this.idempotencyKey(owner, key), JSON.stringify(record), String(ttlMs)));
    if (typeof known !== 'string') return undefined;
    const parsed = JSON.parse(known) as IdempotencyRecord;
    return { bodyHash: parsed.bodyHash, jobId: parsed.jobId };
  }

  async releaseIdempotencyKey(owner: string, key: string): Promise<void> {
    await failClosed(this.redis.del(this.idempotencyKey(owner, key)));
  }

  async delete(id: string): Promise<boolean> {
    const owner = (await this.get(id))?.owner;
    if (!owner) {
      // Gone already (or expired on its own): what it left behind goes; its index entry goes when its owner lists.
      await failClosed(this.redis.multi().del(this.eventsKey(id), this.deliveriesKey(id)).zrem(this.finishedKey(), id).exec());
      return false;
    }
    return Number(await failClosed(this.redis.eval(REMOVE, 6, this.jobKey(id), this.eventsKey(id), this.deliveriesKey(id), this.ownerKey(owner), this.queuedKey(owner), this.finishedKey(), id))) === 1;
  }

  async sweep(finishedBefore: number): Promise<number> {
    const ids = await failClosed(this.redis.zrangebyscore(this.finishedKey(), '-inf', `(${finishedBefore}`, 'LIMIT', 0, SWEEP_BATCH));
    let gone = 0;
    for (const id of ids) if (await this.delete(id)) gone++;
    return gone;
  }

  /** Ends the subscription connection (the shared connection belongs to the shared state). */
  async close(): Promise<void> {
    this.watchers.clear();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }

  private ensureSubscriber(): Redis {
    if (this.subscriber) return this.subscriber;
    // Its own connection (a subscribed connection takes no other command); SUBSCRIBE may wait
    // for it to connect, and ioredis subscribes again after a reconnect.
    const subscriber = this.redis.duplicate({ enableOfflineQueue: true, lazyConnect: false });
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, message: string) => {
      const id = channel.slice(`${this.p}job-events:`.length);
      const listeners = this.watchers.get(id)?.listeners;
      if (!listeners) return;
      const at = message.indexOf('\n');
      const event: JobEvent = { seq: Number(message.slice(0, at)), ...(JSON.parse(message.slice(at + 1)) as Omit<JobEvent, 'seq'>) };
      for (const listener of [...listeners]) listener(event);
    });
    this.subscriber = subscriber;
    return subscriber;
  }
}
