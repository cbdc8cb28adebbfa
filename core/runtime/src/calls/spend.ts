import type { TokenUsage } from '@ccp/plugin-api';
import type { PlatformConfig } from '../config/schema';
import { ClaudeError, type ClaudeEvent, type ClaudeFailureKind } from '../engine/types';
import { recomputeCost } from '../metrics/pricing';

/** How a call's settled cost was arrived at. */
export type SpendBasis = 'reported' | 'observed' | 'reservation' | 'none';

/** What a call spent: the one figure audit, metrics and budgets record. */
export interface Spend {
  readonly usage: TokenUsage;
  readonly costUsd: number;
  readonly basis: SpendBasis;
}

/** Failures after which tokens were most likely spent even when the stream showed none. */
const SPENT_ON_FAILURE: ReadonlySet<ClaudeFailureKind> = new Set(['timeout', 'aborted', 'shutting_down', 'max_turns', 'budget', 'invalid_output', 'interrupted']);

/** USD rounded to 6 decimals (a millionth of a dollar): the figure every record shares. */
export const roundUsd = (usd: number) => Math.round(usd * 1e6) / 1e6;

const ZERO: TokenUsage = { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 };

/**
 * Follows a call's events and settles what it spent, once:
 * - it answered: the cost the engine reported with its result;
 * - it ended without a result, but the stream showed tokens (each API response reports its
 *   input tokens when it starts and its output tokens as it ends): those tokens, priced with
 *   `pricing.models`;
 * - nothing was observed, yet the engine had started and the failure is one that spends
 *   (timeout, cancel, disconnect, drain, turn or cost limit, bad output): the reservation;
 * - otherwise (refused before it ran, a crash before any response): nothing.
 */
export class SpendMeter {
  private started = false;
  private observed: { usage: TokenUsage; model?: string } | undefined;
  private reported: { usage: TokenUsage; costUsd: number } | undefined;
  private model: string | undefined;
  private settled: Spend | undefined;

  /** Reads one engine event. */
  see(event: ClaudeEvent): void {
    if (event.type === 'start') {
      this.started = true;
      this.model = event.model;
    } else if (event.type === 'usage') {
      this.started = true;
      this.observed = { usage: event.usage, model: event.model ?? this.model };
    } else if (event.type === 'result') {
      this.reported = { usage: event.usage, costUsd: event.costUsd };
    }
  }

  /** The settled spend (computed on first use, the same on every later one). */
  settle(error: unknown, reservationUsd: number, pricing: PlatformConfig['pricing']): Spend {
    if (!this.settled) {
      const spend = this.compute(error, reservationUsd, pricing);
      this.settled = { ...spend, costUsd: roundUsd(spend.costUsd) };
    }
    return this.settled;
  }

  /** The settled spend so far, if settled. */
  get final(): Spend | undefined {
    return this.settled;
  }

  private compute(error: unknown, reservationUsd: number, pricing: PlatformConfig['pricing']): Spend {
    if (this.reported) return { ...this.reported, basis: 'reported' };
    if (this.observed) {
      const priced = recomputeCost(this.observed.model ?? this.model, this.observed.usage, pricing);
      // A model missing from the price table cannot be priced: charge what was reserved.
      return { usage: this.observed.usage, costUsd: priced ?? reservationUsd, basis: priced === undefined ? 'reservation' : 'observed' };
    }
    if (this.started && error instanceof ClaudeError && SPENT_ON_FAILURE.has(error.kind)) return { usage: ZERO, costUsd: reservationUsd, basis: 'reservation' };
    return { usage: ZERO, costUsd: 0, basis: 'none' };
  }
}
