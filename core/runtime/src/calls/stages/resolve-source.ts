import type { SourceResolver } from '../../sources/source-resolver';
import type { Stage } from '../pipeline';

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
    ctx.source = await resolver.resolve(call.source, operation.definition.source);
    void ctx.prepared;
    return next();
  };
}
