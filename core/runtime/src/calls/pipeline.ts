import type { CallResult } from './call';
import type { CallContext } from './context';

/**
 * One step every call takes: it may refuse, answer by itself (a cache hit), or pass the
 * call on with `next` and act on how it ended. Stages run in the order of one list,
 * assembled in one place (composition-root.ts, `callStages`).
 */
export type Stage = (ctx: CallContext, next: () => Promise<CallResult>) => Promise<CallResult>;

/** Runs `stages` in order; the last one must answer without calling `next`. */
export function compose(stages: readonly Stage[]): (ctx: CallContext) => Promise<CallResult> {
  return (ctx) => {
    const step = (i: number): Promise<CallResult> => {
      const stage = stages[i];
      if (!stage) return Promise.reject(new Error('the call pipeline ended without an answer'));
      return stage(ctx, () => step(i + 1));
    };
    return step(0);
  };
}
