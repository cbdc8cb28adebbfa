import { createHash } from 'node:crypto';
import type { Logger } from '@ccp/plugin-api';
import { stringify } from 'safe-stable-stringify';
import type { PlatformConfig } from '../../config/schema';
import type { Metrics } from '../../metrics/metrics';
import type { RegisteredOperation, RegisteredPlugin } from '../../plugins/registered-plugin';
import type { CacheStore } from '../../state/cache-store';
import type { Stage } from '../pipeline';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The cache key of one call: everything that decides the answer. Plugin id and version,
 * operation, the validated input with keys in a stable order, the model, and hashes of the
 * system prompt and the output schema, so a new prompt or schema never serves an old answer;
 * and, unless `cache.scope` is `global`, the caller, so no key learns what another sent.
 */
export function cacheKey(plugin: RegisteredPlugin, operation: RegisteredOperation, input: unknown, scope = ''): string {
  return sha256(`${fixedPart(plugin, operation)}\n${scope}\n${stringify(input) ?? ''}`);
}

const fixedParts = new WeakMap<RegisteredOperation, string>();

/** Everything in the key but the input: computed once per operation, not per request. */
function fixedPart(plugin: RegisteredPlugin, operation: RegisteredOperation): string {
  let part = fixedParts.get(operation);
  if (part === undefined) {
    part =
      stringify({
        plugin: plugin.definition.id,
        version: plugin.definition.version,
        operation: operation.name,
        model: plugin.model ?? null,
        // Defined tools by name and schema: a tool's code is the plugin's version.
        tools: { ...plugin.tools, define: (plugin.tools.define ?? []).map((t) => ({ name: t.name, description: t.description })) },
        prompt: sha256(plugin.definition.systemPrompt),
        output: sha256(stringify(operation.outputSchema) ?? ''),
      }) ?? '';
    fixedParts.set(operation, part);
  }
  return part;
}

const ZERO_USAGE = { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: 0 };

/**
 * Answers a stateless call of a cacheable plugin from the response cache when it can (a hit
 * costs nothing: its usage is zero, its outcome `cache_hit`), else runs it and keeps the
 * answer. The cache is an optimisation: a store that fails (Redis down) is read around and
 * written past (fail open), never failing the call.
 */
export function responseCacheStage(store: CacheStore | undefined, settings: PlatformConfig['cache'], metrics: Metrics, logger: Logger): Stage {
  return async (ctx, next) => {
    const { call, plugin, operation } = ctx;
    if (!store || call.session || !operation || !plugin.cacheable) return next();
    // A repository source is keyed by the commits it resolved to, not the refs the caller gave.
    const source = ctx.source?.resolved;
    const input = source ? { input: call.input, commits: { repository: source.repository, head: source.head.commit, base: source.base.commit } } : call.input;
    const key = cacheKey(plugin, operation, input, settings.scope === 'key' ? call.caller.name : '');
    const status = call.cacheControl === 'no-cache' ? 'bypass' : 'miss';
    if (status !== 'bypass') {
      const hit = await store.get(key).catch((err: unknown) => void logger.warn({ err, requestId: call.requestId }, 'response cache read failed'));
      if (hit) {
        metrics.cacheRequests.inc({ plugin: call.plugin, result: 'hit' });
        ctx.sink.cache?.('hit');
        ctx.outcome = 'cache_hit';
        return { ...hit, usage: ZERO_USAGE, durationMs: ctx.elapsedMs };
      }
    }
    metrics.cacheRequests.inc({ plugin: call.plugin, result: status });
    ctx.sink.cache?.(status);
    const body = await next();
    await store.set(key, body, settings.ttlMs).catch((err: unknown) => logger.warn({ err, requestId: call.requestId }, 'response cache write failed'));
    return body;
  };
}
