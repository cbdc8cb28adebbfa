/** A budget period: the key suffix for now, when it ends, and how long to keep its counter. */
export interface Period {
  readonly name: 'day' | 'month';
  readonly id: string;
  readonly resetsAt: Date;
  readonly ttlMs: number;
}

/** The current UTC day and month. Budgets reset at 00:00 UTC and on the 1st of the month. */
export function periods(now = new Date()): { day: Period; month: Period } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  const dayEnd = new Date(Date.UTC(y, m, d + 1));
  const monthEnd = new Date(Date.UTC(y, m + 1, 1));
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    day: { name: 'day', id: `${y}-${pad(m + 1)}-${pad(d)}`, resetsAt: dayEnd, ttlMs: dayEnd.getTime() - now.getTime() + 3_600_000 },
    month: { name: 'month', id: `${y}-${pad(m + 1)}`, resetsAt: monthEnd, ttlMs: monthEnd.getTime() - now.getTime() + 3_600_000 },
  };
}
