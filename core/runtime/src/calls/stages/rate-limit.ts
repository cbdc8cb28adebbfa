import { takeAll, type Limit } from '../../limits/limit';
import type { Stage } from '../pipeline';

/**
 * Request-rate limits (per key, then per key and plugin). Before the response cache, so a
 * cache hit counts too; a refusal is a 429 with Retry-After, audited by the stage before.
 * A job's request was counted when it was submitted (jobs/job-service.ts), so its run is
 * not counted a second time.
 */
export function rateLimitStage(limits: readonly Limit[]): Stage {
  return async (ctx, next) => {
    const { call } = ctx;
    if (call.transport === 'job') return next();
    await takeAll(limits, { caller: call.caller, clientIp: call.clientIp, plugin: call.plugin });
    return next();
  };
}
