import { ANONYMOUS, type Caller } from '../auth/caller';
import { parseConfig } from '../config/load-config';
import { MemoryCounters } from './counters';
import { CallGuard } from './guard';

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

describe('CallGuard', () => {
  it('caps queries in flight per key and frees the slot on settle', async () => {
    const guard = new CallGuard(new MemoryCounters(), config, () => now);
    const a = await guard.admit({ ...caller, budget: undefined }, 'p', 0.1);
    await guard.admit({ ...caller, budget: undefined }, 'p', 0.1);
    expect((await refusal(guard.admit({ ...caller, budget: undefined }, 'p', 0.1))).code).toBe('too_many_in_flight');
    await a.settle(0.05);
    await guard.admit({ ...caller, budget: undefined }, 'p', 0.1);
  });

  it('reserves before and settles after, so a budget is never overspent', async () => {
    const guard = new CallGuard(new MemoryCounters(), { ...config, limits: { maxConcurrentPerKey: 10 } }, () => now);
    const held = [await guard.admit(caller, 'p', 1), await guard.admit(caller, 'p', 1), await guard.admit(caller, 'p', 1)];
    const refused = await refusal(guard.admit(caller, 'p', 1));
    expect(refused.code).toBe('budget_exhausted');
    expect(refused.detail).toContain('daily budget of $3');
    expect(refused.detail).toContain('2026-11-25T00:00:00.000Z');
    expect(refused.extras.retryAfterSeconds).toBe(60);
    await held[0]?.settle(0.25); // spent less than reserved: the rest comes back
    await guard.admit(caller, 'p', 0.5);
    expect((await guard.usageOf('k')).spentTodayUsd).toBeCloseTo(2.75);
  });

  it('applies plugin budgets across keys', async () => {
    const guard = new CallGuard(new MemoryCounters(), { ...config, limits: { maxConcurrentPerKey: 100 } }, () => now);
    for (let i = 0; i < 10; i++) await guard.admit({ ...caller, name: `k${i}`, budget: undefined }, 'code-review', 1);
    const refused = await refusal(guard.admit({ ...caller, name: 'other', budget: undefined }, 'code-review', 1));
    expect(refused.detail).toContain('plugin "code-review" daily budget');
  });
});
