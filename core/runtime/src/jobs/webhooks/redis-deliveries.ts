import type { Redis } from 'ioredis';
import { failClosed } from '../../state/unavailable';
import type { DeliveryAttempt } from './delivery';

// Appends a webhook delivery attempt to a record's list (numbered by the list's length); a list
// begun after the record ended takes the record's expiry. 0 when the record is gone.
const RECORD = `
if redis.call('exists', KEYS[1]) == 0 then return 0 end
local n = redis.call('rpush', KEYS[2], ARGV[1])
if n == 1 then
  local ttl = redis.call('pttl', KEYS[1])
  if ttl > 0 then redis.call('pexpire', KEYS[2], ttl) end
end
return n`;

/**
 * The delivery attempts of one webhook source's record (a job or a batch) in Redis: a list
 * beside the record's own key, living as long as the record.
 */
export class RedisDeliveries {
  constructor(private readonly redis: Redis) {}

  /** Appends an attempt to `listKey`; `undefined` when the record at `recordKey` is gone. */
  async record(recordKey: string, listKey: string, attempt: Omit<DeliveryAttempt, 'attempt'>): Promise<DeliveryAttempt | undefined> {
    const n = Number(await failClosed(this.redis.eval(RECORD, 2, recordKey, listKey, JSON.stringify(attempt))));
    return n === 0 ? undefined : { ...attempt, attempt: n };
  }

  /** Every attempt in `listKey`, oldest first. */
  async list(listKey: string): Promise<readonly DeliveryAttempt[]> {
    const raws = await failClosed(this.redis.lrange(listKey, 0, -1));
    return raws.map((raw, i) => ({ ...(JSON.parse(raw) as Omit<DeliveryAttempt, 'attempt'>), attempt: i + 1 }));
  }
}
