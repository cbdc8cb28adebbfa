import type { Redis } from 'ioredis';
import { instanceSummary, type InstanceRegistry, type InstanceSummary, type PublishAs } from './instances';

// KEYS: record, index. ARGV: summary, owner, claim (1/0), ttl ms, instance id, record key prefix.
// The index lives as long as its longest-lived record, and each publish drops the ids whose
// record has expired (instances killed), so it stays as small as the fleet.
const PUBLISH = `
local owner = redis.call('hget', KEYS[1], 'owner')
if ARGV[3] == '0' and owner and owner ~= ARGV[2] then return 0 end
redis.call('hset', KEYS[1], 'owner', ARGV[2], 'summary', ARGV[1])
redis.call('pexpire', KEYS[1], ARGV[4])
for _, id in ipairs(redis.call('smembers', KEYS[2])) do
  if redis.call('exists', ARGV[6] .. id) == 0 then redis.call('srem', KEYS[2], id) end
end
redis.call('sadd', KEYS[2], ARGV[5])
if redis.call('pttl', KEYS[2]) < tonumber(ARGV[4]) then redis.call('pexpire', KEYS[2], ARGV[4]) end
return 1`;

// KEYS: record, index. ARGV: owner, instance id.
const REMOVE = `
if redis.call('hget', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('del', KEYS[1])
redis.call('srem', KEYS[2], ARGV[2])
return 1`;

// KEYS: index, then the records found gone. ARGV: their ids. Drops an id only if its record
// is still gone (its instance may have published again since it was read).
const FORGET = `
for i = 2, #KEYS do
  if redis.call('exists', KEYS[i]) == 0 then redis.call('srem', KEYS[1], ARGV[i - 1]) end
end
return 1`;

/**
 * Every instance's summary in Redis, each in a hash (`owner`, `summary`) that expires unless
 * published again, found through one set of ids (no SCAN over a keyspace that holds every
 * session and job).
 */
export class RedisInstances implements InstanceRegistry {
  /** The ids of the instances that published; a record itself expires, its id is dropped here when read after. */
  private readonly index: string;

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'ccp:',
  ) {
    this.index = `${prefix}instances`;
  }

  private recordKey(id: string): string {
    return `${this.prefix}instance:${id}`;
  }

  async publish(summary: InstanceSummary, as: PublishAs): Promise<void> {
    await this.redis.eval(PUBLISH, 2, this.recordKey(summary.instanceId), this.index, JSON.stringify(summary), as.owner, as.claim ? '1' : '0', String(as.ttlMs), summary.instanceId, `${this.prefix}instance:`);
  }

  async remove(instanceId: string, owner: string): Promise<void> {
    await this.redis.eval(REMOVE, 2, this.recordKey(instanceId), this.index, owner, instanceId);
  }

  async list(): Promise<InstanceSummary[]> {
    const ids = await this.redis.smembers(this.index);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.recordKey(id), 'summary');
    const raws = ((await pipeline.exec()) ?? []).map(([err, raw]) => {
      if (err) throw err;
      return raw as string | null;
    });
    const gone = ids.filter((_, i) => raws[i] === null);
    if (gone.length > 0) await this.redis.eval(FORGET, gone.length + 1, this.index, ...gone.map((id) => this.recordKey(id)), ...gone);
    // A record this version cannot read (another version's, mid-upgrade) is left out, not an error.
    return raws.flatMap((raw) => {
      const parsed = raw === null ? undefined : instanceSummary.safeParse(parseJson(raw));
      return parsed?.success ? [parsed.data] : [];
    });
  }
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
