import { dayLabel, labelledDays, money, niceTicks, percent, usd, type BudgetUse, type DayStack, type Series } from '../spend-chart';

/*
 * The two spend charts, SVG drawn at the width they are shown (see useWidth). Colours come
 * from classes in console.css, never a style attribute (the CSP's style-src is 'self'), and
 * each SVG is one image to assistive technology, named by its title and described by a
 * visible summary; the tables beside them hold the same figures.
 */

/** The CSS class of a series' colour (console.css: .series-0 … .series-4, .series-other). */
export const seriesClass = (s: Pick<Series, 'colour'>): string => (s.colour < 0 ? 'series-other' : `series-${s.colour}`);

/** A colour key for the stacked bars, each series with its total over the range. */
export function Legend({ series }: { series: readonly Series[] }) {
  return (
    <ul class="legend" aria-label="Series of the chart, largest first (the bottom of each bar)">
      {series.map((s) => (
        <li key={s.id} data-series={s.label}>
          <svg width="12" height="12" aria-hidden="true" focusable="false"><rect width="12" height="12" class={seriesClass(s)} /></svg>
          {s.label}: {usd(s.totalUsd)}
        </li>
      ))}
    </ul>
  );
}

/** Cost per UTC day as vertical bars, each stacked by series; USD on the y axis, the day on the x axis. */
export function DailySpendChart({ days, series, width, title, describedBy }: { days: readonly DayStack[]; series: readonly Series[]; width: number; title: string; describedBy: string }) {
  const narrow = width < 520;
  const left = 78;
  const right = 22;
  const top = 12;
  const height = narrow ? 220 : 260;
  const plotW = Math.max(40, width - left - right);
  const plotH = height - top - 46;
  const slot = plotW / Math.max(1, days.length);
  const barW = Math.max(2, slot * 0.72);
  const { ticks, top: yTop, decimals } = niceTicks(Math.max(0, ...days.map((d) => d.totalUsd)), narrow ? 3 : 4);
  const y = (v: number) => top + plotH - (v / yTop) * plotH;
  const labelOf = new Map(series.map((s) => [s.id, s]));
  const labelled = new Set(labelledDays(days.length, slot));
  return (
    <svg class="chart sized" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby="spend-chart-title" aria-describedby={describedBy} data-testid="spend-chart">
      <title id="spend-chart-title">{title}</title>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={left} x2={left + plotW} y1={y(t)} y2={y(t)} class="grid" />
          <text x={left - 6} y={y(t) + 4} text-anchor="end" class="tick">{usd(t, decimals)}</text>
        </g>
      ))}
      {days.map((d, i) => (
        <g key={d.day} data-day={d.day} data-usd={d.totalUsd}>
          {d.parts.map((p) => {
            const s = labelOf.get(p.series);
            return (
              <rect key={p.series} x={left + i * slot + (slot - barW) / 2} y={y(p.y1)} width={barW} height={Math.max(1, y(p.y0) - y(p.y1))} class={`bar-part ${s ? seriesClass(s) : ''}`} data-series={s?.label}>
                <title>{`${d.day}, ${s?.label ?? ''}: ${usd(p.usd)}`}</title>
              </rect>
            );
          })}
          {labelled.has(i) ? <text x={left + i * slot + slot / 2} y={top + plotH + 16} text-anchor="middle" class="tick">{dayLabel(d.day)}</text> : null}
        </g>
      ))}
      <line x1={left} x2={left + plotW} y1={y(0)} y2={y(0)} class="axis-line" />
      <line x1={left} x2={left} y1={top} y2={y(0)} class="axis-line" />
      <text x={left + plotW / 2} y={height - 8} text-anchor="middle" class="axis">Day (UTC)</text>
      <text x={14} y={top + plotH / 2} text-anchor="middle" class="axis" transform={`rotate(-90 14 ${top + plotH / 2})`}>Cost per day (USD)</text>
    </svg>
  );
}

/** The words for one budget's use: its bar's title, and the summary above the chart. */
export const budgetText = (u: BudgetUse): string => `${u.key}, ${u.period}: ${money(u.spentUsd)} of ${money(u.budgetUsd)} (${percent(u.used)})`;

const LEVEL_WORDS = { over: ': over budget', near: ': near budget', ok: '' } as const;

/** A name cut to `max` characters (the table beside the chart has it whole). */
const cut = (name: string, max: number) => (name.length > max ? `${name.slice(0, max - 1)}…` : name);

/**
 * Each key's spend in the current day and month as a bar against its budget (the dashed line
 * at 100 %), the most used first; amber from 80 %, red at or past the budget, and the label
 * says so in words, so colour is never the only sign. Narrow, a row's figures go on a line of
 * their own.
 */
export function BudgetChart({ uses, width, describedBy }: { uses: readonly BudgetUse[]; width: number; describedBy: string }) {
  const stacked = width < 560;
  const left = 8;
  const right = 30;
  const top = 18;
  const rowH = stacked ? 56 : 42;
  const barY = stacked ? 33 : 18;
  const plotW = Math.max(40, width - left - right);
  const height = top + uses.length * rowH + 40;
  const domain = Math.min(2, Math.max(1, ...uses.map((u) => (Number.isFinite(u.used) ? u.used : 2))));
  const x = (share: number) => left + (Math.min(share, domain) / domain) * plotW;
  const ticks = [0, 0.5, 1, ...(domain >= 1.5 ? [domain] : [])];
  const bottom = top + uses.length * rowH;
  return (
    <svg class="chart sized" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby="budget-chart-title" aria-describedby={describedBy} data-testid="budget-chart">
      <title id="budget-chart-title">Spend today and this month against each key's budget (share of the budget, %)</title>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={x(t)} x2={x(t)} y1={top - 4} y2={bottom} class={t === 1 ? 'budget-mark' : 'grid'} />
          <text x={x(t)} y={bottom + 16} text-anchor={t === 0 ? 'start' : 'middle'} class="tick">{percent(t)}</text>
        </g>
      ))}
      <text x={x(1)} y={top - 6} text-anchor="middle" class="tick">budget</text>
      {uses.map((u, i) => {
        const y = top + i * rowH;
        return (
          <g key={`${u.key} ${u.period}`} data-key={u.key} data-period={u.period} data-level={u.level}>
            <title>{budgetText(u)}</title>
            <text x={left} y={y + 12} class="tick halo">{`${cut(u.key, stacked ? 24 : 48)}, ${u.period}${LEVEL_WORDS[u.level]}`}</text>
            <text x={stacked ? left : left + plotW} y={y + (stacked ? 27 : 12)} text-anchor={stacked ? 'start' : 'end'} class="tick halo">{`${money(u.spentUsd)} of ${money(u.budgetUsd)} (${percent(u.used)})`}</text>
            <rect x={left} y={y + barY} width={x(1) - left} height={14} class="budget-track" />
            <rect x={left} y={y + barY} width={Math.max(u.spentUsd > 0 ? 2 : 0, x(Number.isFinite(u.used) ? u.used : domain) - left)} height={14} class={`use-${u.level}`} />
          </g>
        );
      })}
      <text x={left + plotW / 2} y={height - 6} text-anchor="middle" class="axis">Share of the budget spent (%)</text>
    </svg>
  );
}
