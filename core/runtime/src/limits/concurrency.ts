import { RateLimitedError } from '@ccp/plugin-api';
import type { PlatformConfig } from '../config/schema';
import { failClosed } from '../state/unavailable';
import type { Counters } from './counters';
import type { Hold, Limit, LimitSubject } from './limit';

/** A slot counter left by a crashed instance frees itself after this long without new calls. */
const SLOT_SAFETY_TTL_MS = 3_600_000;

/** Queries one key may have running at once, across replicas (429 `too_many_in_flight`). */
export class ConcurrencyLimit implements Limit {
  readonly name = 'queries in flight per key';

  constructor(
    private readonly counters: Counters,
    private readonly config: Pick<PlatformConfig, 'limits'>,
  ) {}

  async take({ caller }: LimitSubject): Promise<Hold> {
    const slot = `inflight:${caller.name}`;
    const max = caller.maxConcurrent ?? this.config.limits.maxConcurrentPerKey;
    if (!(await failClosed(this.counters.acquireSlot(slot, max, SLOT_SAFETY_TTL_MS)))) {
      throw new RateLimitedError('too_many_in_flight', `API key "${caller.name}" already has ${max} queries running. Wait for one to finish.`, { retryAfterSeconds: 1 });
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        await this.counters.releaseSlot(slot);
      },
    };
  }

  /** Queries a key has running now. */
  inFlight(name: string): Promise<number> {
    return this.counters.get(`inflight:${name}`);
  }
}
