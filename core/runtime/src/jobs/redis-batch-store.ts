import type { Redis } from 'ioredis';
import { failClosed } from '../state/unavailable';
import type { Batch } from './batch';
import type { BatchStore } from './batch-store';
import type { DeliveryAttempt } from './webhooks/delivery';
import { RedisDeliveries } from './webhooks/redis-deliveries';

// Creates a batch with version 1, open for its owner (or, created ended, indexed for the sweep).
const CREATE = `
redis.call('hset', KEYS[1], 'doc', ARGV[1], 'v', 1)
if ARGV[3] == '' then redis.call('sadd', KEYS[2], ARGV[2])
else
  redis.call('zadd', KEYS[3], ARGV[3], ARGV[2])
  redis.call('pexpire', KEYS[1], ARGV[4])
end
return 1`;

// Replaces a batch's document only if nobody changed it since it was read (so two replicas
// ending its last two jobs at once cannot both end it); once ended it leaves the owner's open
// set, enters the sweep's index and expires with retention, with its deliveries.
const UPDATE = `
local v = redis.call('hget', KEYS[1], 'v')
if not v then return -1 end
if v ~= ARGV[1] then return 0 end
redis.call('hset', KEYS[1], 'doc', ARGV[2], 'v', tonumber(v) + 1)
if ARGV[4] ~= '' then
  redis.call('srem', KEYS[2], ARGV[3])
  redis.call('zadd', KEYS[3], ARGV[4], ARGV[3])
  redis.call('pexpire', KEYS[1], ARGV[5])
  redis.call('pexpire', KEYS[4], ARGV[5])
end
return 1`;

/** Attempts at a compare-and-set before an update gives up. */
const UPDATE_ATTEMPTS = 50;

/** A batch from its JSON: a request without a customId is `undefined` again (JSON wrote null). */
const parse = (doc: string): Batch => {
  const batch = JSON.parse(doc) as Batch;
  return { ...batch, customIds: batch.customIds.map((c) => c ?? undefined) };
};

/**
 * Batches in Redis, shared by every replica like their jobs (so a batch ends, and its webhook
 * goes out once, on whichever replica its last job ends): a hash with a version for
 * compare-and-set updates, a set of each owner's open batches, deliveries as a list; an ended
 * batch expires `retentionMs` after it ended (the sweep also deletes it).
 */
export class RedisBatchStore implements BatchStore {
  private readonly p: string;
  private readonly deliveryLists: RedisDeliveries;

  constructor(
    private readonly redis: Redis,
    private readonly options: { readonly retentionMs: number; readonly prefix?: string },
  ) {
    this.p = options.prefix ?? 'ccp:';
    this.deliveryLists = new RedisDeliveries(redis);
  }

  private batchKey = (id: string) => `${this.p}batch:${id}`;
  private openKey = (owner: string) => `${this.p}batches-open:${owner}`;
  private endedKey = () => `${this.p}batches-ended`;
  private deliveriesKey = (id: string) => `${this.p}batch-deliveries:${id}`;

  async create(batch: Batch): Promise<void> {
    const ended = batch.endedAt === undefined ? '' : String(batch.endedAt);
    await failClosed(this.redis.eval(CREATE, 3, this.batchKey(batch.id), this.openKey(batch.owner), this.endedKey(), JSON.stringify(batch), batch.id, ended, String(this.options.retentionMs)));
  }

  async get(id: string): Promise<Batch | undefined> {
    const doc = await failClosed(this.redis.hget(this.batchKey(id), 'doc'));
    return doc ? parse(doc) : undefined;
  }

  async update(id: string, change: (batch: Batch) => Batch): Promise<{ before: Batch; after: Batch } | undefined> {
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const [doc, version] = await failClosed(this.redis.hmget(this.batchKey(id), 'doc', 'v'));
      if (!doc || !version) return undefined;
      const before = parse(doc);
      const after = change(before);
      const ended = after.endedAt === undefined ? '' : String(after.endedAt);
      const applied = Number(
        await failClosed(this.redis.eval(UPDATE, 4, this.batchKey(id), this.openKey(after.owner), this.endedKey(), this.deliveriesKey(id), version, JSON.stringify(after), id, ended, String(this.options.retentionMs))),
      );
      if (applied === 1) return { before, after };
      if (applied === -1) return undefined;
    }
    throw new Error(`batch ${id} changed ${UPDATE_ATTEMPTS} times while it was being updated`);
  }

  async countOpen(owner: string): Promise<number> {
    return failClosed(this.redis.scard(this.openKey(owner)));
  }

  async recordDelivery(id: string, attempt: Omit<DeliveryAttempt, 'attempt'>): Promise<DeliveryAttempt | undefined> {
    return this.deliveryLists.record(this.batchKey(id), this.deliveriesKey(id), attempt);
  }

  async deliveries(id: string): Promise<readonly DeliveryAttempt[]> {
    return this.deliveryLists.list(this.deliveriesKey(id));
  }

  async sweep(endedBefore: number): Promise<number> {
    const ids = await failClosed(this.redis.zrangebyscore(this.endedKey(), '-inf', `(${endedBefore}`, 'LIMIT', 0, 1000));
    let gone = 0;
    for (const id of ids) {
      const [[, deleted]] = ((await failClosed(this.redis.multi().del(this.batchKey(id)).del(this.deliveriesKey(id)).zrem(this.endedKey(), id).exec())) ?? [[null, 0]]) as [[unknown, number]];
      gone += Number(deleted);
    }
    return gone;
  }
}
