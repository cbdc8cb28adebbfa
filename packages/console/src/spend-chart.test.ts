import { budgetUses, dayLabel, labelledDays, money, niceTicks, OTHERS, percent, spendSummary, stackDays, usd, utcDays } from './spend-chart';

describe('spend-chart', () => {
  it('lists the UTC days of a half-open range, today included when `to` is just after now', () => {
    expect(utcDays('2026-11-29T00:00:00.000Z', '2026-12-02T10:15:00.001Z')).toEqual(['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02']);
    // `to` at midnight leaves that day out (it is exclusive).
    expect(utcDays('2026-12-01T00:00:00.000Z', '2026-12-03T00:00:00.000Z')).toEqual(['2026-12-01', '2026-12-02']);
    expect(utcDays('2026-12-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z')).toEqual([]);
    expect(dayLabel('2026-12-01')).toBe('Dec 1');
    expect(dayLabel('2027-01-31')).toBe('Jan 31');
  });

  it('stacks each day by series, the biggest spender at the bottom, and sums to the report', () => {
    const days = ['2026-12-01', '2026-12-02', '2026-12-03'];
    const rows = [
      { group: '2026-12-01', split: 'code-review', costUsd: 0.002 },
      { group: '2026-12-01', split: 'doc-generator', costUsd: 0.005 },
      { group: '2026-12-03', split: 'code-review', costUsd: 0.001 },
      { group: '2026-12-03', split: 'test-helper', costUsd: 0 },
    ];
    const s = stackDays(rows, days);
    expect(s.series).toEqual([
      { id: 'doc-generator', label: 'doc-generator', totalUsd: 0.005, colour: 0 },
      { id: 'code-review', label: 'code-review', totalUsd: 0.003, colour: 1 },
    ]);
    expect(s.days.map((d) => [d.day, d.totalUsd, d.parts.map((p) => p.series)])).toEqual([
      ['2026-12-01', 0.007, ['doc-generator', 'code-review']],
      ['2026-12-02', 0, []],
      ['2026-12-03', 0.001, ['code-review']],
    ]);
    const [first] = s.days;
    expect(first?.parts.map((p) => [p.y0, p.y1])).toEqual([[0, 0.005], [0.005, 0.007]]);
    expect(s.totalUsd).toBe(0.008);
    expect(spendSummary(s, 'plugin')).toBe('$0.0080 in 3 days, 2 of them with spend; the most on Dec 1: $0.0070. The largest plugin: doc-generator, $0.0050.');
    expect(spendSummary(stackDays([], days))).toBe('No spend in these 3 days.');
  });

  it('names a key series by name and id, gives unsplit rows one series, and merges past the largest few', () => {
    const days = ['2026-12-01'];
    expect(stackDays([{ group: '2026-12-01', split: 'key_1', keyName: 'team-a', costUsd: 1 }], days).series[0]?.label).toBe('team-a (key_1)');
    expect(stackDays([{ group: '2026-12-01', costUsd: 1 }], days).series).toEqual([{ id: '', label: 'All calls', totalUsd: 1, colour: 0 }]);
    const many = ['a', 'b', 'c', 'd'].map((p, i) => ({ group: '2026-12-01', split: p, costUsd: 4 - i }));
    const s = stackDays(many, days, 3);
    expect(s.series.map((x) => [x.id, x.totalUsd, x.colour])).toEqual([['a', 4, 0], ['b', 3, 1], [OTHERS, 3, -1]]);
    expect(s.series[2]?.label).toBe('Others (2)');
    expect(s.days[0]?.parts.map((p) => [p.series, p.usd])).toEqual([['a', 4], ['b', 3], [OTHERS, 3]]);
    expect(s.totalUsd).toBe(10);
  });

  it('picks ticks in steps of 1, 2 or 5 that reach past the largest day, with the decimals they need', () => {
    expect(niceTicks(0.007)).toEqual({ ticks: [0, 0.002, 0.004, 0.006, 0.008], top: 0.008, decimals: 3 });
    expect(niceTicks(0.004)).toEqual({ ticks: [0, 0.001, 0.002, 0.003, 0.004], top: 0.004, decimals: 3 });
    expect(niceTicks(37)).toEqual({ ticks: [0, 10, 20, 30, 40], top: 40, decimals: 0 });
    expect(niceTicks(1.2)).toEqual({ ticks: [0, 0.5, 1, 1.5], top: 1.5, decimals: 1 });
    // Nothing spent: an axis still, to a cent.
    expect(niceTicks(0).top).toBe(0.01);
    expect(usd(1234.5, 2)).toBe('$1,234.50');
    expect(usd(0.0015)).toBe('$0.0015');
    expect([money(12.5), money(0.25)]).toEqual(['$12.50', '$0.2500']);
  });

  it('labels about one day per gap, always the last one', () => {
    expect(labelledDays(30, 30)).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29]);
    expect(labelledDays(30, 10).at(-1)).toBe(29);
    expect(labelledDays(30, 10)).toHaveLength(5);
    expect(labelledDays(3, 100)).toEqual([0, 1, 2]);
  });

  it("lists each key's day and month budgets with the share used, the most used first", () => {
    const uses = budgetUses([
      { name: 'ops', budget: null, spentTodayUsd: 5, spentThisMonthUsd: 9 },
      { name: 'team-a', budget: { dailyUsd: 0.01, monthlyUsd: 1 }, spentTodayUsd: 0.009, spentThisMonthUsd: 0.2 },
      { name: 'team-b', budget: { monthlyUsd: 0.1 }, spentTodayUsd: 0.1, spentThisMonthUsd: 0.15 },
      { name: 'closed', budget: { dailyUsd: 0 }, spentTodayUsd: 0, spentThisMonthUsd: 0 },
    ]);
    expect(uses.map((u) => [u.key, u.period, percent(u.used), u.level])).toEqual([
      ['team-b', 'this month', '150%', 'over'],
      ['team-a', 'today', '90%', 'near'],
      ['team-a', 'this month', '20%', 'ok'],
      ['closed', 'today', '0%', 'ok'],
    ]);
    expect(percent(budgetUses([{ name: 'x', budget: { dailyUsd: 0 }, spentTodayUsd: 1, spentThisMonthUsd: 1 }])[0]!.used)).toBe('—');
  });
});
