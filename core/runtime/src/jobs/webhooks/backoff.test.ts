import { backoffDelay } from './backoff';

const options = { initialDelayMs: 1000, maxDelayMs: 60_000, jitter: 0.2 };

describe('backoffDelay', () => {
  it('doubles from initialDelayMs for each retry, up to maxDelayMs (no jitter at the midpoint)', () => {
    const schedule = [2, 3, 4, 5, 6, 7, 8, 9].map((next) => backoffDelay(next, options, () => 0.5));
    expect(schedule).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  });

  it('moves each wait by at most ±jitter of itself', () => {
    expect(backoffDelay(3, options, () => 0)).toBe(1600);
    expect(backoffDelay(3, options, () => 0.999_999)).toBe(2400);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(4, options);
      expect(d).toBeGreaterThanOrEqual(3200);
      expect(d).toBeLessThanOrEqual(4800);
    }
  });

  it('makes every wait longer than the one before it until the cap, whatever the draws (jitter under 1/3)', () => {
    const worst = [() => 0, () => 0.999_999];
    for (let next = 2; next < 7; next++) {
      const longestNow = Math.max(...worst.map((r) => backoffDelay(next, options, r)));
      const shortestNext = Math.min(...worst.map((r) => backoffDelay(next + 1, options, r)));
      expect(shortestNext).toBeGreaterThan(longestNow);
    }
  });

  it('spreads receivers that failed together', () => {
    const draws = new Set(Array.from({ length: 20 }, () => backoffDelay(5, options)));
    expect(draws.size).toBeGreaterThan(10);
    expect(backoffDelay(5, { ...options, jitter: 0 })).toBe(8000);
  });
});
