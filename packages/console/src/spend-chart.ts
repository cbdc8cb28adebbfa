/*
 * The arithmetic behind the spend charts, kept apart from the SVG so it can be tested:
 * UTC days of a report's range, the ledger's rows stacked per day, axis ticks, and each
 * key's spend against its budgets.
 */

const DAY_MS = 86_400_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Every UTC day (YYYY-MM-DD) that the half-open range [from, to) touches, oldest first. */
export function utcDays(from: string, to: string): string[] {
  const start = Date.parse(from.slice(0, 10));
  const end = Date.parse(to) - 1;
  const days: string[] = [];
  for (let t = start; t <= end; t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/** `2026-12-01` as `Dec 1` (the console's words are English). */
export const dayLabel = (day: string): string => `${MONTHS[Number(day.slice(5, 7)) - 1] ?? '?'} ${Number(day.slice(8, 10))}`;

/** Dollars with `decimals` places and thousands separators. */
export const usd = (v: number, decimals = 4): string => `$${v.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })}`;

/** Dollars as the budgets show them: cents from $1 up, else to a hundredth of a cent. */
export const money = (v: number): string => usd(v, v >= 1 ? 2 : 4);

/** A row of a usage report split by day (`group`) and something else (`split`). */
export interface DayRow {
  readonly group: string;
  readonly split?: string;
  readonly keyName?: string;
  readonly costUsd: number;
}

/** One coloured series of the stacked bars: a plugin, a key, all calls, or the rest together. */
export interface Series {
  readonly id: string;
  readonly label: string;
  readonly totalUsd: number;
  /** Its colour, 0 upwards; the rest merged together has -1. */
  readonly colour: number;
}

/** One day's bar: its segments bottom to top, each from `y0` to `y1` dollars. */
export interface DayStack {
  readonly day: string;
  readonly totalUsd: number;
  readonly parts: readonly { readonly series: string; readonly usd: number; readonly y0: number; readonly y1: number }[];
}

/** The id of the series that gathers everything past the largest few. */
export const OTHERS = '\u0000others';

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;

/**
 * Stacks the rows per day, one segment per series, the largest series (over the whole range)
 * at the bottom; past `maxSeries` series the smaller ones are merged into one. Series that
 * spent nothing are left out (a refused call costs $0). Every day of `days` has a stack.
 */
export function stackDays(rows: readonly DayRow[], days: readonly string[], maxSeries = 5): { series: Series[]; days: DayStack[]; totalUsd: number } {
  const totals = new Map<string, { label: string; usd: number }>();
  for (const r of rows) {
    const id = r.split ?? '';
    const label = r.split === undefined ? 'All calls' : r.keyName ? `${r.keyName} (${r.split})` : r.split;
    const t = totals.get(id) ?? { label, usd: 0 };
    t.usd += r.costUsd;
    totals.set(id, t);
  }
  const ranked = [...totals].filter(([, t]) => t.usd > 0).sort((a, b) => b[1].usd - a[1].usd || a[0].localeCompare(b[0]));
  const kept = ranked.length > maxSeries ? ranked.slice(0, maxSeries - 1) : ranked;
  const rest = ranked.slice(kept.length);
  const series: Series[] = kept.map(([id, t], i) => ({ id, label: t.label, totalUsd: round6(t.usd), colour: i }));
  if (rest.length) series.push({ id: OTHERS, label: `Others (${rest.length})`, totalUsd: round6(rest.reduce((n, [, t]) => n + t.usd, 0)), colour: -1 });
  const seriesOf = new Map<string, string>(rest.map(([id]) => [id, OTHERS]));
  const perDay = new Map<string, Map<string, number>>();
  for (const r of rows) {
    if (r.costUsd <= 0) continue;
    const id = seriesOf.get(r.split ?? '') ?? r.split ?? '';
    const day = perDay.get(r.group) ?? new Map<string, number>();
    day.set(id, (day.get(id) ?? 0) + r.costUsd);
    perDay.set(r.group, day);
  }
  const stacks = days.map((day) => {
    const spent = perDay.get(day);
    let y = 0;
    const parts = series.flatMap((s) => {
      const v = spent?.get(s.id) ?? 0;
      if (v <= 0) return [];
      const part = { series: s.id, usd: round6(v), y0: y, y1: y + v };
      y += v;
      return [part];
    });
    return { day, totalUsd: round6(y), parts };
  });
  return { series, days: stacks, totalUsd: round6(stacks.reduce((n, d) => n + d.totalUsd, 0)) };
}

/** One or two sentences that say what the daily chart shows: the total, the peak day and the largest series (`what`: plugin or key). */
export function spendSummary(s: { series: readonly Series[]; days: readonly DayStack[]; totalUsd: number }, what?: string): string {
  const spent = s.days.filter((d) => d.totalUsd > 0);
  if (spent.length === 0) return `No spend in these ${s.days.length} days.`;
  const peak = spent.reduce((a, b) => (b.totalUsd > a.totalUsd ? b : a));
  const first = s.series[0];
  return `${usd(s.totalUsd)} in ${s.days.length} days, ${spent.length} of them with spend; the most on ${dayLabel(peak.day)}: ${usd(peak.totalUsd)}.${what && first ? ` The largest ${what}: ${first.label}, ${usd(first.totalUsd)}.` : ''}`;
}

/** Axis ticks from 0 past `max` in steps of 1, 2 or 5 times a power of ten, about `target` of them, and the decimals a label needs. */
export function niceTicks(max: number, target = 4): { ticks: number[]; top: number; decimals: number } {
  const m = max > 0 ? max : 0.01;
  const raw = m / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude;
  const count = Math.ceil(m / step - 1e-9);
  const ticks = Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(12)));
  return { ticks, top: ticks[ticks.length - 1] as number, decimals: Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)) };
}

/** Which of `count` days get a date label when each takes `slotPx`: about one per `minGapPx`, always the last (today). */
export function labelledDays(count: number, slotPx: number, minGapPx = 52): number[] {
  const every = Math.max(1, Math.ceil(minGapPx / Math.max(slotPx, 1e-6)));
  return Array.from({ length: count }, (_, i) => i).filter((i) => (count - 1 - i) % every === 0);
}

/** A key as GET /v1/admin/budgets lists it (the fields read here). */
export interface BudgetedKey {
  readonly name: string;
  readonly budget: { readonly dailyUsd?: number; readonly monthlyUsd?: number } | null;
  readonly spentTodayUsd: number;
  readonly spentThisMonthUsd: number;
}

/** How close spend is to a budget: over it, at 80 % or more, or below. */
export type BudgetLevel = 'over' | 'near' | 'ok';

/** One key's spend in one budget period against that budget. */
export interface BudgetUse {
  readonly key: string;
  readonly period: 'today' | 'this month';
  readonly spentUsd: number;
  readonly budgetUsd: number;
  readonly used: number;
  readonly level: BudgetLevel;
}

/** The share of a budget at which a key counts as near it. */
export const NEAR = 0.8;

/** A level for a share used. */
export const levelOf = (used: number): BudgetLevel => (used >= 1 ? 'over' : used >= NEAR ? 'near' : 'ok');

/** Every key's day and month budget with its spend, the most used first (keys without a budget have none). */
/** The share of a budget spent: Infinity for a zero budget that has been spent on. */
export const shareUsed = (spentUsd: number, budgetUsd: number): number => (budgetUsd > 0 ? spentUsd / budgetUsd : spentUsd > 0 ? Infinity : 0);

export function budgetUses(keys: readonly BudgetedKey[]): BudgetUse[] {
  const out: BudgetUse[] = [];
  for (const k of keys) {
    const add = (period: BudgetUse['period'], spentUsd: number, budgetUsd: number | undefined) => {
      if (budgetUsd === undefined) return;
      const used = shareUsed(spentUsd, budgetUsd);
      out.push({ key: k.name, period, spentUsd, budgetUsd, used, level: levelOf(used) });
    };
    add('today', k.spentTodayUsd, k.budget?.dailyUsd);
    add('this month', k.spentThisMonthUsd, k.budget?.monthlyUsd);
  }
  return out.sort((a, b) => b.used - a.used || a.key.localeCompare(b.key));
}

/** A share as a whole percentage (`—` for a zero budget that has been spent on). */
export const percent = (used: number): string => (Number.isFinite(used) ? `${Math.round(used * 100)}%` : '—');
