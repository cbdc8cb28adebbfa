import { RateLimitedError } from '@ccp/plugin-api';
import type { Caller } from '../auth/caller';
import type { PlatformConfig } from '../config/schema';
import { failClosed } from '../state/unavailable';
import { periods } from './budget-periods';
import type { Counters } from './counters';
import type { Hold, Limit, LimitSubject } from './limit';
import { secondsUntil } from './retry-after';

const UNLIMITED = 1e15;

/** One spending limit that applies to a call. */
interface BudgetScope {
  readonly key: string;
  readonly limit: number;
  readonly ttlMs: number;
  readonly label: string;
  readonly resetsAt: Date;
}

/**
 * Spending budgets (key and plugin, day and month). Before a query its maximum cost is
 * reserved against every budget that applies in one atomic step, so concurrent calls
 * cannot together overspend; after it the reservation is settled to what it really spent.
 */
export class BudgetLimit implements Limit {
  readonly name = 'budgets';

  constructor(
    private readonly counters: Counters,
    private readonly config: Pick<PlatformConfig, 'budgets'>,
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
    // A key's own budget for this plugin, counted only where it has one.
    const own = caller.budget?.plugins?.[pluginId];
    if (own) add(`key:${caller.name}:plugin:${pluginId}`, `API key "${caller.name}" budget for plugin "${pluginId}"`, own);
    return out;
  }

  /** Reserves the call's maximum cost, or throws 402 `budget_exhausted`; release settles it. */
  async take({ caller, plugin, reserveUsd = this.config.budgets.reservationUsd }: LimitSubject): Promise<Hold> {
    const scopes = this.scopes(caller, plugin);
    const over = await failClosed(this.counters.addWithin(scopes, reserveUsd));
    if (over >= 0) {
      const scope = scopes[over] as BudgetScope;
      const wait = secondsUntil(scope.resetsAt, this.now().getTime());
      throw new RateLimitedError('budget_exhausted', `The ${scope.label} of $${scope.limit} is used up (a query reserves $${reserveUsd}). It resets at ${scope.resetsAt.toISOString()}.`, { retryAfterSeconds: wait });
    }
    let settled = false;
    return {
      release: async (spentUsd) => {
        if (settled) return;
        settled = true;
        await this.counters.add(scopes.map((s) => s.key), spentUsd - reserveUsd);
      },
    };
  }

  /**
   * Rebuilds the current day's and month's spend counters from the ledger's figures (by key
   * name and plugin id), where no counter exists: a restart without Redis keeps the month.
   */
  async rebuild(spend: (since: Date) => Promise<{ keys: ReadonlyMap<string, number>; plugins: ReadonlyMap<string, number>; keyPlugins: ReadonlyMap<string, ReadonlyMap<string, number>> }>): Promise<void> {
    const now = this.now();
    const { day, month } = periods(now);
    const entries: { key: string; value: number; ttlMs: number }[] = [];
    for (const period of [day, month]) {
      const start = period.name === 'day' ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())) : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
      const { keys, plugins, keyPlugins } = await spend(start);
      for (const [name, usd] of keys) if (usd > 0) entries.push({ key: `spend:key:${name}:${period.name}:${period.id}`, value: usd, ttlMs: period.ttlMs });
      for (const [name, byPlugin] of keyPlugins) {
        for (const [id, usd] of byPlugin) if (usd > 0) entries.push({ key: `spend:key:${name}:plugin:${id}:${period.name}:${period.id}`, value: usd, ttlMs: period.ttlMs });
      }
      for (const [id, usd] of plugins) if (usd > 0) entries.push({ key: `spend:plugin:${id}:${period.name}:${period.id}`, value: usd, ttlMs: period.ttlMs });
    }
    await this.counters.seed(entries);
  }

  /** Spend so far in the current day and month for a key. */
  async spentBy(name: string): Promise<{ spentTodayUsd: number; spentThisMonthUsd: number }> {
    const { day, month } = periods(this.now());
    return {
      spentTodayUsd: await this.counters.get(`spend:key:${name}:day:${day.id}`),
      spentThisMonthUsd: await this.counters.get(`spend:key:${name}:month:${month.id}`),
    };
  }
}
