import { RateLimitedError } from '@ccp/plugin-api';
import type { Caller } from '../auth/caller';
import type { PlatformConfig } from '../config/schema';
import { periods } from './budget-periods';
import type { Counters } from './counters';

const UNLIMITED = 1e15;
/** A slot counter left by a crashed instance frees itself after this long without new calls. */
const SLOT_SAFETY_TTL_MS = 3_600_000;

/** One spending limit that applies to a call. */
interface BudgetScope {
  readonly key: string;
  readonly limit: number;
  readonly ttlMs: number;
  readonly label: string;
  readonly resetsAt: Date;
}

/** What a call holds while it runs; `settle` gives back what it did not spend. */
export interface Admission {
  settle(actualUsd: number): Promise<void>;
}

/**
 * Per-key concurrency caps and spending budgets. Before a query: take a concurrency slot,
 * then reserve its maximum cost against every budget that applies (key and plugin, day and
 * month) in one atomic step, so concurrent calls cannot together overspend. After it:
 * settle the reservation to the reported cost and free the slot.
 */
export class CallGuard {
  constructor(
    private readonly counters: Counters,
    private readonly config: Pick<PlatformConfig, 'limits' | 'budgets'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The reservation for one query of a plugin: its own cost cap, else the configured default. */
  reservationFor(maxBudgetUsd: number | undefined): number {
    return maxBudgetUsd ?? this.config.budgets.reservationUsd;
  }

  private scopes(caller: Caller, pluginId: string): BudgetScope[] {
    const { day, month } = periods(this.now());
    const out: BudgetScope[] = [];
    // Spend is counted for every key and plugin (admins see it); the limit is the budget, if any.
    const add = (owner: string, label: string, budget: { dailyUsd?: number; monthlyUsd?: number } | undefined) => {
      out.push({ key: `spend:${owner}:day:${day.id}`, limit: budget?.dailyUsd ?? UNLIMITED, ttlMs: day.ttlMs, label: `${label} daily budget`, resetsAt: day.resetsAt });
      out.push({ key: `spend:${owner}:month:${month.id}`, limit: budget?.monthlyUsd ?? UNLIMITED, ttlMs: month.ttlMs, label: `${label} monthly budget`, resetsAt: month.resetsAt });
    };
    add(`key:${caller.name}`, `API key "${caller.name}"`, caller.budget);
    add(`plugin:${pluginId}`, `plugin "${pluginId}"`, this.config.budgets.plugins[pluginId]);
    return out;
  }

  /** Admits a call or throws 429 `too_many_in_flight` / 402 `budget_exhausted`. */
  async admit(caller: Caller, pluginId: string, reserveUsd: number): Promise<Admission> {
    const slot = `inflight:${caller.name}`;
    const max = caller.maxConcurrent ?? this.config.limits.maxConcurrentPerKey;
    if (!(await this.counters.acquireSlot(slot, max, SLOT_SAFETY_TTL_MS))) {
      throw new RateLimitedError('too_many_in_flight', `API key "${caller.name}" already has ${max} queries running. Wait for one to finish.`, { retryAfterSeconds: 1 });
    }
    const scopes = this.scopes(caller, pluginId);
    let over: number;
    try {
      over = await this.counters.addWithin(scopes, reserveUsd);
    } catch (err) {
      await this.counters.releaseSlot(slot).catch(() => undefined);
      throw err;
    }
    if (over >= 0) {
      await this.counters.releaseSlot(slot);
      const scope = scopes[over] as BudgetScope;
      const wait = Math.max(1, Math.ceil((scope.resetsAt.getTime() - this.now().getTime()) / 1000));
      throw new RateLimitedError('budget_exhausted', `The ${scope.label} of $${scope.limit} is used up (a query reserves $${reserveUsd}). It resets at ${scope.resetsAt.toISOString()}.`, { retryAfterSeconds: wait });
    }
    let settled = false;
    return {
      settle: async (actualUsd) => {
        if (settled) return;
        settled = true;
        try {
          await this.counters.add(scopes.map((s) => s.key), actualUsd - reserveUsd);
        } finally {
          await this.counters.releaseSlot(slot);
        }
      },
    };
  }

  /** Spend so far in the current day and month, and queries running, for a key. */
  async usageOf(name: string): Promise<{ inFlight: number; spentTodayUsd: number; spentThisMonthUsd: number }> {
    const { day, month } = periods(this.now());
    return {
      inFlight: await this.counters.get(`inflight:${name}`),
      spentTodayUsd: await this.counters.get(`spend:key:${name}:day:${day.id}`),
      spentThisMonthUsd: await this.counters.get(`spend:key:${name}:month:${month.id}`),
    };
  }
}
