import { useState } from 'preact/hooks';
import { api, apiText } from '../api';
import type { KeyBudgets, UsageReport } from '../api-types';
import { errorText, usePoll, useWidth } from '../hooks';
import { budgetUses, money, NEAR, percent, shareUsed, spendSummary, stackDays, usd, utcDays } from '../spend-chart';
import { BudgetChart, budgetText, DailySpendChart, Legend } from './spend-charts';
import { TableBox } from './table-box';

/*
 * Spend from the usage ledger (GET /v1/admin/usage) as a chart per day and a table, and the
 * budgets' live counters (GET /v1/admin/budgets) against each key's budget: which key or
 * plugin is spending, and is any key near its budget.
 */

const DAY_MS = 86_400_000;
type Group = 'key' | 'plugin' | 'day';
type Split = 'plugin' | 'key' | 'none';

/** A prepared download: an object URL and the file name it is offered under. */
interface Csv {
  readonly href: string;
  readonly name: string;
}

/** The widest a chart is drawn (wider, its bars only grow apart). */
const MAX_CHART_PX = 960;

/** Spend of the last 30 UTC days: cost per day as bars split by plugin or key, the ledger's table by day, key or plugin, and both as CSV. */
export function SpendPanel() {
  const [groupBy, setGroupBy] = useState<Group>('day');
  const [split, setSplit] = useState<Split>('plugin');
  // Today and the 29 UTC days before it. `to` is exclusive and defaults to just after now, so
  // it is left out: today's calls are in.
  const from = new Date(Date.now() - 29 * DAY_MS).toISOString().slice(0, 10);
  const tableQuery = `from=${from}&groupBy=${groupBy}`;
  const chartQuery = `from=${from}&groupBy=day${split === 'none' ? '' : `&splitBy=${split}`}`;
  const table = usePoll(() => api<UsageReport>('GET', `/v1/admin/usage?${tableQuery}&format=json`), undefined, [tableQuery]);
  const chart = usePoll(() => api<UsageReport>('GET', `/v1/admin/usage?${chartQuery}&format=json`), undefined, [chartQuery]);
  const [box, width] = useWidth<HTMLDivElement>();
  const [csv, setCsv] = useState<Csv[]>([]);
  const [csvProblem, setCsvProblem] = useState<string>();
  const download = async () => {
    const wanted = [{ query: tableQuery, name: `usage-by-${groupBy}.csv` }, ...(split === 'none' ? [] : [{ query: chartQuery, name: `usage-by-day-and-${split}.csv` }])];
    try {
      const texts = await Promise.all(wanted.map((w) => apiText(`/v1/admin/usage?${w.query}&format=csv`, 'text/csv')));
      for (const c of csv) URL.revokeObjectURL(c.href);
      setCsv(wanted.map((w, i) => ({ name: w.name, href: URL.createObjectURL(new Blob([texts[i] ?? ''], { type: 'text/csv' })) })));
      setCsvProblem(undefined);
    } catch (err) {
      setCsv([]);
      setCsvProblem(errorText(err));
    }
  };
  const stacked = chart.data ? stackDays(chart.data.groups, utcDays(chart.data.from, chart.data.to)) : undefined;
  const splitWord = split === 'none' ? undefined : split;
  const data = table.data;
  return (
    <div class="card" data-testid="spend">
      <h2>Spend, last 30 days</h2>
      <button type="button" onClick={() => { table.reload(); chart.reload(); }}>Refresh spend</button>
      <h3>Cost per day</h3>
      <div class="inline">
        <span>
          <label for="spend-split">Split the bars by</label>
          <select id="spend-split" value={split} onChange={(e) => setSplit(e.currentTarget.value as Split)}>
            <option value="plugin">plugin</option><option value="key">key</option><option value="none">nothing (one bar a day)</option>
          </select>
        </span>
      </div>
      {chart.error && chart.error !== table.error ? <p class="error" role="alert">{chart.error}</p> : null}
      {stacked ? <p id="spend-chart-summary" data-testid="spend-chart-summary">{spendSummary(stacked, splitWord)}</p> : null}
      {stacked && splitWord ? <Legend series={stacked.series} /> : null}
      <div ref={box} class="chart-box">
        {stacked && width ? (
          <DailySpendChart days={stacked.days} series={stacked.series} width={Math.min(width, MAX_CHART_PX)} describedBy="spend-chart-summary" title={`Cost per UTC day in USD${splitWord ? `, split by ${splitWord}` : ''}, ${stacked.days[0]?.day ?? ''} to ${stacked.days.at(-1)?.day ?? ''}`} />
        ) : null}
      </div>
      {stacked ? (
        <details>
          <summary>The chart's figures as a table</summary>
          <TableBox label="The chart's figures">
            <table data-testid="spend-chart-table">
              <caption>Cost per day{splitWord ? ` and ${splitWord}` : ''} (USD), the days with spend</caption>
              <thead><tr><th scope="col">Day (UTC)</th>{splitWord ? stacked.series.map((s) => <th key={s.id} scope="col">{s.label}</th>) : null}<th scope="col">Total</th></tr></thead>
              <tbody>
                {stacked.days.filter((d) => d.totalUsd > 0).map((d) => (
                  <tr key={d.day} data-day={d.day}>
                    <th scope="row">{d.day}</th>
                    {splitWord ? stacked.series.map((s) => { const p = d.parts.find((x) => x.series === s.id); return <td key={s.id}>{p ? usd(p.usd) : '–'}</td>; }) : null}
                    <td>{usd(d.totalUsd)}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot><tr><th scope="row">Total</th>{splitWord ? stacked.series.map((s) => <td key={s.id}>{usd(s.totalUsd)}</td>) : null}<td>{usd(stacked.totalUsd)}</td></tr></tfoot>
            </table>
          </TableBox>
        </details>
      ) : null}
      <h3>The ledger's figures</h3>
      <div class="inline">
        <span>
          <label for="spend-group">Group by</label>
          <select id="spend-group" value={groupBy} onChange={(e) => setGroupBy(e.currentTarget.value as Group)}>
            <option value="day">day</option><option value="key">key</option><option value="plugin">plugin</option>
          </select>
        </span>
      </div>
      {table.error ? <p class="error" role="alert">{table.error}</p> : null}
      {data ? (
        <TableBox label={`Spend by ${groupBy}`}>
          <table data-testid="spend-table">
            <caption>Spend by {groupBy}, {data.from.slice(0, 10)} to {data.to.slice(0, 10)}</caption>
            <thead><tr><th scope="col">{groupBy}</th><th scope="col">Calls</th><th scope="col">Answered</th><th scope="col">Input tokens</th><th scope="col">Output tokens</th><th scope="col">Cost (USD)</th></tr></thead>
            <tbody>
              {data.groups.map((g) => (
                <tr key={g.group}>
                  <td>{g.keyName ? `${g.keyName} (${g.group})` : g.group}</td><td>{g.calls}</td><td>{g.answered}</td><td>{g.inputTokens}</td><td>{g.outputTokens}</td><td>{usd(g.costUsd)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot><tr><th scope="row">Total</th><td>{data.total.calls}</td><td>{data.total.answered}</td><td>{data.total.inputTokens}</td><td>{data.total.outputTokens}</td><td>{usd(data.total.costUsd)}</td></tr></tfoot>
          </table>
        </TableBox>
      ) : null}
      <button type="button" onClick={() => void download()}>Prepare the CSV</button>{' '}
      {csv.map((c) => <a key={c.name} class="download" href={c.href} download={c.name}>Download {c.name}</a>)}
      {csvProblem ? <p class="error" role="alert">{csvProblem}</p> : null}
    </div>
  );
}

/** A budget cell: the budget and the share of it spent, or none. */
const budgetCell = (spent: number, budget: number | undefined) => (budget === undefined ? 'none' : `${money(budget)} (${percent(shareUsed(spent, budget))} spent)`);

/** Each key's spend today and this month from the budgets' live counters, against its budgets, the most used first. */
export function BudgetPanel() {
  const { data, error, reload } = usePoll(() => api<KeyBudgets>('GET', '/v1/admin/budgets'), undefined);
  const [box, width] = useWidth<HTMLDivElement>();
  const uses = data ? budgetUses(data.keys) : [];
  const close = uses.filter((u) => u.level !== 'ok');
  const first = uses[0];
  return (
    <div class="card" data-testid="budgets">
      <h2>Budgets</h2>
      <p class="muted">Spend today (since 00:00 UTC) and this month (since the 1st) by the live counters the budgets are enforced with, against each key's budget. A call is refused once it would pass a budget.</p>
      <button type="button" onClick={reload}>Refresh budgets</button>
      {error ? <p class="error" role="alert">{error}</p> : null}
      {data ? (
        <p id="budget-summary" data-testid="budget-summary">
          {close.length ? `${close.length} budget${close.length > 1 ? 's' : ''} at ${percent(NEAR)} or more: ${close.map(budgetText).join('; ')}.` : first ? `No budget is at ${percent(NEAR)} or more; the most used: ${budgetText(first)}.` : 'No key has a budget: give one budget.dailyUsd or budget.monthlyUsd (PATCH /v1/admin/keys/{id}, or the config file).'}
        </p>
      ) : null}
      <div ref={box} class="chart-box">{uses.length && width ? <BudgetChart uses={uses} width={Math.min(width, MAX_CHART_PX)} describedBy="budget-summary" /> : null}</div>
      {data ? (
        <TableBox label="Budgets per key">
          <table data-testid="budget-table">
            <caption>Budgets per key ({data.keys.length} keys)</caption>
            <thead><tr><th scope="col">Key</th><th scope="col">Running</th><th scope="col">Today (USD)</th><th scope="col">Daily budget</th><th scope="col">This month (USD)</th><th scope="col">Monthly budget</th><th scope="col">Per plugin</th></tr></thead>
            <tbody>
              {data.keys.map((k) => (
                <tr key={k.name} data-key={k.name}>
                  <th scope="row">{k.name}</th>
                  <td>{k.inFlight}</td>
                  <td>{usd(k.spentTodayUsd)}</td>
                  <td>{budgetCell(k.spentTodayUsd, k.budget?.dailyUsd)}</td>
                  <td>{usd(k.spentThisMonthUsd)}</td>
                  <td>{budgetCell(k.spentThisMonthUsd, k.budget?.monthlyUsd)}</td>
                  <td>{Object.entries(k.budget?.plugins ?? {}).map(([p, b]) => `${p}: ${[b.dailyUsd === undefined ? '' : `${money(b.dailyUsd)} a day`, b.monthlyUsd === undefined ? '' : `${money(b.monthlyUsd)} a month`].filter(Boolean).join(', ')}`).join('; ') || '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableBox>
      ) : null}
    </div>
  );
}
