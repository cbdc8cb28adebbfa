import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { Metrics } from '@ccp/runtime';

// Alert rules and dashboards, checked with the real promtool (Debian's prometheus package).

const deploy = join(__dirname, '../../deploy');

function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { encoding: 'utf8' });
  if (run.error) throw new Error(`promtool is required (apt-get install prometheus): ${run.error.message}`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** Names a query may use: every platform metric (with histogram series) and the standard ones. */
async function exportedNames(): Promise<Set<string>> {
  const names = new Set<string>(['up']);
  for (const m of await new Metrics().registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

const metricNames = (expr: string) => [...expr.matchAll(/\b(ccp_[a-z0-9_]+|up|process_[a-z0-9_]+|nodejs_[a-z0-9_]+)\b/g)].map((m) => m[1] as string);

describe('Prometheus alert rules', () => {
  const rules = parse(readFileSync(join(deploy, 'prometheus/alerts.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
  const alerts = rules.groups.flatMap((g) => g.rules);

  it('are valid (promtool check rules)', () => {
    expect(promtool('check', 'rules', join(deploy, 'prometheus/alerts.yml'))).toMatchObject({ status: 0 });
  });

  it('pass their unit tests (promtool test rules)', () => {
    const run = promtool('test', 'rules', join(deploy, 'prometheus/alerts.test.yml'));
    expect(run).toMatchObject({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('each alert has a unit test, and uses only metrics the platform exports', async () => {
    const tests = readFileSync(join(deploy, 'prometheus/alerts.test.yml'), 'utf8');
    const names = await exportedNames();
    for (const a of alerts) {
      expect({ alert: a.alert, tested: tests.includes(`alertname: ${a.alert}`) }).toEqual({ alert: a.alert, tested: true });
      for (const n of metricNames(a.expr)) expect({ alert: a.alert, metric: n, exported: names.has(n) }).toEqual({ alert: a.alert, metric: n, exported: true });
    }
    expect(alerts.map((a) => a.alert)).toEqual(
      expect.arrayContaining(['ClaudeCircuitBreakerOpen', 'ClaudeErrorBudgetBurnFast', 'ClaudeQueryLatencyHigh', 'ClaudeAdmissionSaturated', 'ClaudeSpendRateHigh', 'ClaudePlatformInstanceDown']),
    );
  });
});

describe('Grafana dashboards', () => {
  const files = ['overview.json', 'plugin.json'];
  const dashboards = files.map((f) => ({ file: f, json: JSON.parse(readFileSync(join(deploy, 'grafana/dashboards', f), 'utf8')) as { panels: { title: string; datasource: { uid: string }; targets: { expr: string }[] }[]; templating: { list: { name: string; type: string }[] } } }));

  it('take the data source as a variable', () => {
    for (const { file, json } of dashboards) {
      expect({ file, variable: json.templating.list.find((v) => v.name === 'datasource')?.type }).toEqual({ file, variable: 'datasource' });
      for (const p of json.panels) expect({ file, panel: p.title, uid: p.datasource.uid }).toEqual({ file, panel: p.title, uid: '${datasource}' });
    }
  });

  it('have panels whose every query is valid PromQL over exported metrics', async () => {
    const names = await exportedNames();
    const exprs = dashboards.flatMap(({ json }) => json.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr }))));
    expect(exprs.length).toBeGreaterThan(20);
    const concrete = (e: string) => e.replaceAll('$__rate_interval', '5m').replaceAll('$plugin', 'code-review');
    const file = join(mkdtempSync(join(tmpdir(), 'ccp-dash-')), 'panels.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard-panels', rules: exprs.map((e, i) => ({ record: `dashboard:panel_${i}`, expr: concrete(e.expr) })) }] }));
    const run = promtool('check', 'rules', file);
    expect(run).toMatchObject({ status: 0 });
    for (const { panel, expr } of exprs) {
      for (const n of metricNames(expr)) expect({ panel, metric: n, exported: names.has(n) }).toEqual({ panel, metric: n, exported: true });
    }
  });
});
