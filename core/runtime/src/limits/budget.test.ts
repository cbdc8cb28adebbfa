import { ANONYMOUS, type Caller } from '../auth/caller';
import { parseConfig } from '../config/load-config';
import { BudgetLimit } from './budget';
import { ConcurrencyLimit } from './concurrency';
import { MemoryCounters } from './counters';

const config = parseConfig({ limits: { maxConcurrentPerKey: 2 }, budgets: { reservationUsd: 1, plugins: { 'code-review': { dailyUsd: 10 } } } });
const now = new Date('2026-11-24T23:59:00Z');
const caller: Caller = { ...ANONYMOUS, name: 'k', budget: { dailyUsd: 3 } };

async function refusal(p: Promise<unknown>): Promise<{ code: string; detail: string; extras: { retryAfterSeconds?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as never;
  }
  throw new Error('expected a refusal');
}

describe('ConcurrencyLimit', () => {
  it('caps queries in flight per key and frees the slot on release', async () => {
    const limit = new ConcurrencyLimit(new MemoryCounters(), config);
    const subject = { caller: { ...caller, budget: undefined }, plugin: 'p' };
    const a = await limit.take(subject);
    await limit.take(subject);
    expect((await refusal(limit.take(subject))).code).toBe('too_many_in_flight');
    await a.release(0.05);
    await a.release(0.05); // twice frees one slot only
    await limit.take(subject);
    expect((await refusal(limit.take(subject))).code).toBe('too_many_in_flight');
  });
});

describe('BudgetLimit', () => {
  it('reserves before and settles after, so a budget is never overspent', async () => {
    const budget = new BudgetLimit(new MemoryCounters(), config, () => now);
    const subject = { caller, plugin: 'p', reserveUsd: 1 };
    const held = [await budget.take(subject), await budget.take(subject), await budget.take(subject)];
    const refused = await refusal(budget.take(subject));
    expect(refused.code).toBe('budget_exhausted');
    expect(refused.detail).toContain('daily budget of $3');
    expect(refused.detail).toContain('2026-11-25T00:00:00.000Z');
    expect(refused.extras.retryAfterSeconds).toBe(60);
    await held[0]?.release(0.25); // spent less than reserved: the rest comes back
    await budget.take({ ...subject, reserveUsd: 0.5 });
    expect((await budget.spentBy('k')).spentTodayUsd).toBeCloseTo(2.75);
  });

  it('applies plugin budgets across keys', async () => {
    const budget = new BudgetLimit(new MemoryCounters(), config, () => now);
    for (let i = 0; i < 10; i++) await budget.take({ caller: { ...caller, name: `k${i}`, budget: undefined }, plugin: 'code-review', reserveUsd: 1 });
    const refused = await refusal(budget.take({ caller: { ...caller, name: 'other', budget: undefined }, plugin: 'code-review', reserveUsd: 1 }));
    expect(refused.detail).toContain('plugin "code-review" daily budget');
  });

  it("applies a key's own budget for one plugin, within its overall budget, and not to its other plugins", async () => {
    const budget = new BudgetLimit(new MemoryCounters(), config, () => now);
    const perPlugin: Caller = { ...caller, budget: { dailyUsd: 3, plugins: { 'code-review': { dailyUsd: 1 } } } };
    await budget.take({ caller: perPlugin, plugin: 'code-review', reserveUsd: 1 });
    const refused = await refusal(budget.take({ caller: perPlugin, plugin: 'code-review', reserveUsd: 0.5 }));
    expect(refused.detail).toContain('API key "k" budget for plugin "code-review" daily budget of $1');
    await budget.take({ caller: perPlugin, plugin: 'doc-generator', reserveUsd: 1 });
    expect((await budget.spentBy('k')).spentTodayUsd).toBe(2);
  });

  it('rebuilds the day and month counters from the ledger where none exists', async () => {
    const counters = new MemoryCounters();
    const budget = new BudgetLimit(counters, config, () => now);
    const since: Date[] = [];
    await budget.rebuild(async (from) => {
      since.push(from);
      return { keys: new Map([['k', 2.5]]), plugins: new Map([['code-review', 2.5]]), keyPlugins: new Map([['k', new Map([['code-review', 2.5]])]]) };
    });
    expect(since.map((d) => d.toISOString())).toEqual(['2026-11-24T00:00:00.000Z', '2026-11-01T00:00:00.000Z']);
    expect(await budget.spentBy('k')).toEqual({ spentTodayUsd: 2.5, spentThisMonthUsd: 2.5 });
    const refused = await refusal(budget.take({ caller, plugin: 'p', reserveUsd: 1 }));
    expect(refused.detail).toContain('daily budget of $3');
    await budget.rebuild(async () => ({ keys: new Map([['k', 99]]), plugins: new Map(), keyPlugins: new Map() }));
    expect((await budget.spentBy('k')).spentTodayUsd).toBe(2.5);
  });

  it('fails closed with a typed 503 when the counters do not answer', async () => {
    const down = new MemoryCounters();
    down.addWithin = async () => {
      throw new Error('Connection is closed.');
    };
    const refused = await refusal(new BudgetLimit(down, config, () => now).take({ caller, plugin: 'p' }));
    expect(refused).toMatchObject({ code: 'shared_state_unavailable', extras: { retryAfterSeconds: 5 } });
  });
});
