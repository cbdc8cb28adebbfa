import { abortReason, ClaudeError } from '../../engine/types';
import type { SourceResolver } from '../../sources/source-resolver';
import type { Stage } from '../pipeline';

/**
 * `work`, or the signal's reason as soon as it fires: a caller that goes away, or a drain,
 * does not wait for a fetch other calls may share (the fetch goes on, bounded by its own
 * time limit, and its outcome is dropped here).
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => undefined);
  const reason = () => abortReason(signal) ?? new ClaudeError('aborted', 'the caller went away');
  if (signal.aborted) return Promise.reject(reason());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Resolves the repository an operation's input names (`source`): fetches the mirror when
 * the refs need it, turns them into commits and computes the diff, then builds the
 * operation's prompt at once, so a broken repository configuration file or a change too
 * large is refused (400, 413) before the response cache or any reservation. After the rate
 * limits (a fetch is work), before the cache (which keys on the resolved commits).
 */
export function resolveSourceStage(resolver: SourceResolver): Stage {
  return async (ctx, next) => {
    const { call, operation } = ctx;
    if (!call.source || !operation) return next();
    ctx.source = await untilAborted(resolver.resolve(call.source, operation.definition.source), ctx.signal);
    void ctx.prepared;
    return next();
  };
}
