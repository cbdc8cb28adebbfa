import type { TokenUsage } from '@ccp/plugin-api';
import type { PlatformConfig } from '../config/schema';

/** USD per million tokens of each kind. */
export interface Price {
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
}

/**
 * Recomputes a query's cost from its token counts and the operator's price table, to set
 * beside the SDK's own estimate: a drift between the two shows a stale table or a change
 * in how the SDK counts. The first `pricing.models` key contained in the model name wins.
 */
export function recomputeCost(model: string | undefined, usage: TokenUsage, pricing: PlatformConfig['pricing']): number | undefined {
  const name = (model ?? '').toLowerCase();
  const entry = Object.entries(pricing.models).find(([key]) => name.includes(key.toLowerCase()));
  if (!entry) return undefined;
  const p = entry[1];
  return (usage.inputTokens * p.input + usage.outputTokens * p.output + usage.cacheReadInputTokens * p.cacheRead + usage.cacheCreationInputTokens * p.cacheWrite) / 1_000_000;
}
