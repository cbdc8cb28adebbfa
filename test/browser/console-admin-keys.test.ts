import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator } from 'playwright-core';
import { CLOCK, override } from '@ccp/runtime';
import { FakeEngine, postJson, startTestRuntime, testKey, waitUntil, type TestRuntime } from '@ccp/testing';
import { axe, go, launchChromium, shot, shotOf, watch, type Watched } from './support/console-browser';

// The console's admin views for keys, spend and budgets against the real routes: key
// management (/v1/admin/keys), the usage ledger (GET /v1/admin/usage) on an embedded database
// and the budgets' counters (GET /v1/admin/budgets). The agent engine is a fake (the views are
// under test, not the model) that reports the cost each call is given; the calls it answers
// are real calls through the pipeline, some made on an injected clock set days back, so the
// ledger has their rows on those days.

const DAY_MS = 86_400_000;
const admin = testKey('ops', { roles: ['user', 'admin'], plugins: ['*'], budget: { dailyUsd: 0.0035, monthlyUsd: 0.1 } });
const review = { files: [{ path: 'a.ts', content: 'export const a = 1;\n' }] };
const reviewed = { summary: 'Fine.', findings: [], filesReviewed: ['a.ts'] };
const day = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY_MS).toISOString().slice(0, 10);
const usd = (v: number) => `$${v.toFixed(4)}`;
const label = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY_MS).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });

describe('the console admin views of keys and spend', () => {
  let rt: TestRuntime;
  let dir: string;
  let browser: Browser;
  let w: Watched;
  const engine = new FakeEngine({ output: reviewed });
  // How far back the platform's clock is set while a call of an earlier day is made.
  let clockBackMs = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ccp-console-keys-'));
    rt = await startTestRuntime({
      config: {
        auth: { enabled: true, keys: [admin.entry] },
        database: { embeddedDir: join(dir, 'data'), ledger: { flushMs: 20 } },
        // A query reserves a hundredth of a cent, so the small budgets here admit the calls.
        budgets: { reservationUsd: 0.0001 },
      },
      engine,
      overrides: [override(CLOCK, () => new Date(Date.now() - clockBackMs))],
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await rt?.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    w = await watch(browser, 1280);
  });
  afterEach(async () => {
    const problems = [...w.problems];
    await w.page.context().close();
    expect(problems).toEqual([]);
  });

  async function signIn(key: string, page = w.page): Promise<void> {
    await page.goto(`${rt.url}/console`);
    await page.getByLabel('API key').fill(key);
    await page.getByLabel('API key').press('Enter');
    await page.locator('main[data-view="catalogue"]').waitFor();
  }

  /** One answered call that the engine reports at `costUsd`, made `daysAgo` days back on the platform's clock. */
  async function spend(path: string, body: unknown, headers: Record<string, string>, costUsd: number, daysAgo = 0, output: unknown = reviewed): Promise<void> {
    engine.script({ output, costUsd });
    clockBackMs = daysAgo * DAY_MS;
    try {
      expect((await postJson(`${rt.url}${path}`, body, { headers: { ...headers, 'content-type': 'application/json' } })).status).toBe(200);
    } finally {
      clockBackMs = 0;
    }
  }

  const cells = (row: Locator) => row.locator('th, td').allInnerTexts();

  it('lists keys, creates one (its secret shown once and working at once), rotates and revokes it; spend per day as a chart split by plugin and key, budgets against spend, the ledger by day and key, with CSV downloads', async () => {
    const headers = { ...admin.headers, 'content-type': 'application/json' };
    expect((await postJson(`${rt.url}/v1/plugins/code-review/review`, review, { headers })).status).toBe(200);
    await signIn(admin.key);
    await go(w.page, 'Admin');
    const table = w.page.getByTestId('keys').locator('table');
    await table.locator('tr[data-key="ops"]').waitFor();
    expect(await table.locator('tr[data-key="ops"]').innerText()).toContain('read-only');

    await w.page.getByLabel('Name', { exact: true }).fill('team-a');
    await w.page.getByLabel('Plugins (comma-separated, * for all)').fill('code-review, doc-generator');
    await w.page.getByRole('button', { name: 'Create a key' }).click();
    const secret = await w.page.getByTestId('new-secret').innerText();
    expect(secret).toMatch(/^ccp_[A-Za-z0-9_-]{32,}$/);
    const row = table.locator('tr[data-key="team-a"]');
    await row.waitFor();
    // The list shows the secret's prefix and last 4 characters, never the secret.
    expect(await row.innerText()).toContain(secret.slice(-4));
    expect(await w.page.getByTestId('keys').locator('table').innerText()).not.toContain(secret);
    const asTeam = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
    expect((await postJson(`${rt.url}/v1/plugins/code-review/review`, review, { headers: asTeam })).status).toBe(200);

    await w.page.getByRole('button', { name: 'Rotate team-a' }).click();
    await w.page.getByTestId('new-secret').filter({ hasNotText: secret }).waitFor();
    const rotated = await w.page.getByTestId('new-secret').innerText();
    expect(rotated).toMatch(/^ccp_/);
    await w.page.getByRole('button', { name: 'Revoke team-a' }).click();
    expect(await waitUntil(async () => (await row.innerText()).includes('revoked'), 5000)).toBe(true);
    const refused = await postJson(`${rt.url}/v1/plugins/code-review/review`, review, { headers: { ...asTeam, authorization: `Bearer ${rotated}` } });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe('key_revoked');

    // More spend: ops six and three days ago and today, and a key whose daily budget the call passes.
    await spend('/v1/plugins/code-review/review', review, admin.headers, 0.004, 6);
    await spend('/v1/plugins/doc-generator/generate', { ...review, style: 'tsdoc' }, admin.headers, 0.002, 3, { documents: [], summary: 'Nothing to add.' });
    await spend('/v1/plugins/code-review/review', review, admin.headers, 0.002);
    const made = await postJson(`${rt.url}/v1/admin/keys`, { name: 'team-b', plugins: ['code-review'], budget: { dailyUsd: 0.001, monthlyUsd: 0.01 } }, { headers });
    expect(made.status).toBe(201);
    await spend('/v1/plugins/code-review/review', review, { authorization: `Bearer ${((await made.json()) as { secret: string }).secret}` }, 0.002);

    // Spend: the ledger's six answered calls (a 401 is no call of a key), $0.012 in all.
    const panel = w.page.getByTestId('spend');
    const ledgerTable = panel.getByTestId('spend-table');
    const totalCalls = () => ledgerTable.locator('tfoot td').first().innerText().catch(() => '');
    const refreshed = async () => {
      await panel.getByRole('button', { name: 'Refresh spend' }).click();
      return (await totalCalls()) === '6' && (await panel.getByTestId('spend-chart-summary').innerText()).startsWith('$0.0120');
    };
    expect(await waitUntil(refreshed, 10_000, 200)).toBe(true);
    expect(await ledgerTable.locator('tbody tr').first().innerText()).toContain(day(6));
    const tableTotal = (await cells(ledgerTable.locator('tfoot tr'))).at(-1);
    expect(tableTotal).toBe('$0.0120');

    // The chart: a slot for each of the 30 days, bars on the days the ledger has spend, each
    // as high as its day's cost, split by plugin; its summary, legend and table say the same.
    const ledger = (await (await fetch(`${rt.url}/v1/admin/usage?from=${day(29)}&groupBy=day`, { headers: admin.headers })).json()) as { groups: { group: string; costUsd: number }[] };
    expect(ledger.groups.map((g) => [g.group, g.costUsd])).toEqual([[day(6), 0.004], [day(3), 0.002], [day(0), 0.006]]);
    const chart = panel.getByTestId('spend-chart');
    expect(await chart.getAttribute('role')).toBe('img');
    expect(await chart.locator('title').first().textContent()).toBe(`Cost per UTC day in USD, split by plugin, ${day(29)} to ${day(0)}`);
    expect(await chart.locator('g[data-day]').count()).toBe(30);
    const bars = chart.locator('g[data-day]:has(rect)');
    expect(await bars.evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-day'), Number(g.getAttribute('data-usd'))]))).toEqual(ledger.groups.map((g) => [g.group, g.costUsd]));
    expect(await chart.locator('rect title').allTextContents()).toEqual([`${day(6)}, code-review: $0.0040`, `${day(3)}, doc-generator: $0.0020`, `${day(0)}, code-review: $0.0060`]);
    // Taller bars for more spend: the six-day-old bar is two thirds of today's.
    const heights = await bars.evaluateAll((gs) => gs.map((g) => [...g.querySelectorAll('rect')].reduce((n, r) => n + Number(r.getAttribute('height')), 0)));
    expect((heights[0] as number) / (heights[2] as number)).toBeCloseTo(4 / 6, 1);
    expect(await chart.locator('text.axis').allTextContents()).toEqual(['Day (UTC)', 'Cost per day (USD)']);
    expect(await chart.locator('text.tick').allTextContents()).toContain('$0.000');
    expect(await panel.getByTestId('spend-chart-summary').innerText()).toBe(`$0.0120 in 30 days, 3 of them with spend; the most on ${label(0)}: $0.0060. The largest plugin: code-review, $0.0100.`);
    expect(await panel.locator('.legend li').allInnerTexts()).toEqual(['code-review: $0.0100', 'doc-generator: $0.0020']);
    await panel.getByText("The chart's figures as a table").click();
    const figures = panel.getByTestId('spend-chart-table');
    expect(await cells(figures.locator('thead tr'))).toEqual(['Day (UTC)', 'code-review', 'doc-generator', 'Total']);
    expect(await Promise.all((await figures.locator('tbody tr').all()).map(cells))).toEqual([[day(6), '$0.0040', '–', '$0.0040'], [day(3), '–', '$0.0020', '$0.0020'], [day(0), '$0.0060', '–', '$0.0060']]);
    expect((await cells(figures.locator('tfoot tr'))).at(-1)).toBe(tableTotal);
    // One bar a day, no legend; then split by key: ops, team-b and team-a, the biggest first, named with their ids.
    await w.page.getByLabel('Split the bars by').selectOption('none');
    await chart.locator('rect[data-series="All calls"]').first().waitFor();
    expect(await chart.locator('rect title').allTextContents()).toEqual([`${day(6)}, All calls: $0.0040`, `${day(3)}, All calls: $0.0020`, `${day(0)}, All calls: $0.0060`]);
    expect(await panel.locator('.legend').count()).toBe(0);

    await w.page.getByLabel('Split the bars by').selectOption('key');
    await panel.locator('.legend li', { hasText: 'team-b' }).waitFor();
    expect((await panel.locator('.legend li').allInnerTexts()).map((t) => t.replace(/ \(.*\)/, ''))).toEqual(['ops: $0.0090', 'team-b: $0.0020', 'team-a: $0.0010']);
    expect(await chart.locator('rect[data-series^="team-b"]').count()).toBe(1);

    // Budgets: the page shows what GET /v1/admin/budgets says, the most used budget first.
    const budgets = w.page.getByTestId('budgets');
    const live = async () => ((await (await fetch(`${rt.url}/v1/admin/budgets`, { headers: admin.headers })).json()) as { keys: { name: string; spentTodayUsd: number; spentThisMonthUsd: number; budget: { dailyUsd?: number; monthlyUsd?: number } | null }[] }).keys;
    const shown = async () => {
      await budgets.getByRole('button', { name: 'Refresh budgets' }).click();
      const keys = await live();
      const rows = await Promise.all(keys.map((k) => cells(budgets.getByTestId('budget-table').locator(`tr[data-key="${k.name}"]`))));
      return rows.every((r, i) => r[2] === usd(keys[i]!.spentTodayUsd) && r[4] === usd(keys[i]!.spentThisMonthUsd));
    };
    expect(await waitUntil(shown, 10_000, 200)).toBe(true);
    const keys = await live();
    const ops = keys.find((k) => k.name === 'ops')!;
    expect(ops.spentTodayUsd).toBeCloseTo(0.003, 6);
    expect(await cells(budgets.locator('tr[data-key="ops"]'))).toEqual(['ops', '0', '$0.0030', '$0.0035 (86% spent)', usd(ops.spentThisMonthUsd), `$0.1000 (${Math.round((ops.spentThisMonthUsd / 0.1) * 100)}% spent)`, '–']);
    // team-a is revoked, and the budgets leave revoked keys out.
    expect(keys.map((k) => k.name).sort()).toEqual(['ops', 'team-b']);
    expect(await budgets.locator('tr[data-key="team-a"]').count()).toBe(0);
    const teamB = await cells(budgets.locator('tr[data-key="team-b"]'));
    expect(teamB.slice(2, 4)).toEqual(['$0.0020', '$0.0010 (200% spent)']);
    const marks = budgets.getByTestId('budget-chart').locator('g[data-key]');
    const expected = keys.flatMap((k) => [
      ...(k.budget?.dailyUsd ? [[k.name, 'today', k.spentTodayUsd / k.budget.dailyUsd] as const] : []),
      ...(k.budget?.monthlyUsd ? [[k.name, 'this month', k.spentThisMonthUsd / k.budget.monthlyUsd] as const] : []),
    ]).sort((a, b) => b[2] - a[2]);
    expect(await marks.evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-key'), g.getAttribute('data-period'), g.getAttribute('data-level')]))).toEqual(
      expected.map(([k, p, used]) => [k, p, used >= 1 ? 'over' : used >= 0.8 ? 'near' : 'ok']),
    );
    expect(await marks.first().locator('text').allTextContents()).toEqual(['team-b, today: over budget', '$0.0020 of $0.0010 (200%)']);
    expect(await marks.nth(1).locator('text').allTextContents()).toEqual(['ops, today: near budget', '$0.0030 of $0.0035 (86%)']);
    expect(await budgets.getByTestId('budget-summary').innerText()).toMatch(/^2 budgets at 80% or more: team-b, today: \$0\.0020 of \$0\.0010 \(200%\); ops, today: \$0\.0030 of \$0\.0035 \(86%\)\.$/);

    // The table by key, and both CSVs: the table's and the chart's (a row per day and key).
    await w.page.getByLabel('Group by').selectOption('key');
    await ledgerTable.locator('tbody tr', { hasText: 'team-a' }).waitFor();
    await panel.getByRole('button', { name: 'Prepare the CSV' }).click();
    const [download] = await Promise.all([w.page.waitForEvent('download'), panel.getByRole('link', { name: 'Download usage-by-key.csv' }).click()]);
    const csv = await readFile(await download.path(), 'utf8');
    expect(csv.split('\n')[0]).toContain('calls');
    expect(csv).toContain('team-a');
    const [perDay] = await Promise.all([w.page.waitForEvent('download'), panel.getByRole('link', { name: 'Download usage-by-day-and-key.csv' }).click()]);
    const perDayCsv = (await readFile(await perDay.path(), 'utf8')).trim().split('\r\n');
    expect(perDayCsv[0]).toMatch(/^group,split,keyName,calls/);
    // Sorted by day, then key id (team-a's and team-b's ids are random: compared as a set).
    expect(perDayCsv.slice(1).map((l) => `${l.split(',')[0]} ${l.split(',')[2]}`).sort()).toEqual([`${day(6)} ops`, `${day(3)} ops`, `${day(0)} ops`, `${day(0)} team-a`, `${day(0)} team-b`]);
    await w.page.getByLabel('Split the bars by').selectOption('plugin');
    await panel.locator('.legend li', { hasText: 'doc-generator' }).waitFor();
    // The audit tail (refreshed every 2 s) lists the six calls too before the screenshot.
    await w.page.getByTestId('audit').locator('tbody tr').nth(5).waitFor();
    expect(await axe(w.page)).toEqual([]);
    await shot(w.page, 'admin-keys', true);

    // 390 px wide: the charts are drawn at their box's width, and nothing scrolls sideways.
    const narrow = await watch(browser, 390);
    try {
      await signIn(admin.key, narrow.page);
      await go(narrow.page, 'Admin');
      const small = narrow.page.getByTestId('spend');
      await small.getByTestId('spend-chart').locator('g[data-day]:has(rect)').first().waitFor();
      await narrow.page.getByTestId('budget-chart').waitFor();
      expect(await narrow.page.evaluate('document.documentElement.scrollWidth')).toBe(390);
      for (const id of ['spend-chart', 'budget-chart']) {
        const { svg, box } = await narrow.page.getByTestId(id).evaluate((el) => ({ svg: el.getBoundingClientRect().width, box: el.parentElement?.clientWidth ?? 0 }));
        expect(svg).toBeLessThanOrEqual(box);
        expect(svg).toBeGreaterThan(300);
      }
      // Fewer date labels, so they do not run into each other; today's always among them.
      const labels = await small.getByTestId('spend-chart').locator('g[data-day] text').allTextContents();
      expect(labels.length).toBeLessThanOrEqual(6);
      expect(labels.at(-1)).toBe(await small.getByTestId('spend-chart').locator('g[data-day]').last().locator('text').textContent());
      expect(await axe(narrow.page)).toEqual([]);
      await shotOf(narrow.page, 'admin-spend-390', small, narrow.page.getByTestId('budgets'));
      expect(narrow.problems).toEqual([]);
    } finally {
      await narrow.page.context().close();
    }
  });
});
