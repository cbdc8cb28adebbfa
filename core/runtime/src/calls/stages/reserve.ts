import type { Logger } from '@ccp/plugin-api';
import { takeAll, type Limit } from '../../limits/limit';
import type { Stage } from '../pipeline';

/**
 * Concurrency per key and budgets: a slot and the call's maximum cost are taken before it
 * runs, and settled to what it really spent (see spend.ts) however it ends. A settlement
 * that fails (the store went away meanwhile) is logged: the call has already run.
 */
export function reserveStage(limits: readonly Limit[], logger: Logger): Stage {
  return async (ctx, next) => {
    const { call } = ctx;
    const hold = await takeAll(limits, { caller: call.caller, clientIp: call.clientIp, plugin: call.plugin, reserveUsd: ctx.reservationUsd });
    let error: unknown;
    try {
      return await next();
    } catch (err) {
      error = err;
      throw err;
    } finally {
      await hold.release(ctx.settle(error).costUsd).catch((err: unknown) => logger.error({ err, requestId: call.requestId, key: call.caller.name }, 'could not settle a budget reservation'));
    }
  };
}
