import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, postJson, startTestRuntime, waitUntil, type TestRuntime } from '@ccp/testing';

// A real Prometheus (Debian's package) scrapes a running platform on loopback, and a query
// over its HTTP API returns the platform's request counter.

describe('Prometheus scrapes the platform', () => {
  let rt: TestRuntime;
  let prometheus: ChildProcess | undefined;
  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      prometheus.kill('SIGTERM');
      await once(prometheus, 'exit');
    }
    await rt?.close();
  });

  it('and answers a query for the request counter', async () => {
    rt = await startTestRuntime();
    for (let i = 0; i < 3; i++) expect((await postJson(`${rt.url}/v1/plugins/code-review/review`, { files: [] })).status).toBe(400);
    const target = rt.url.replace('http://', '');
    const dir = mkdtempSync(join(tmpdir(), 'ccp-prom-'));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [join(__dirname, '../../deploy/prometheus/alerts.yml')],
        scrape_configs: [{ job_name: 'claude-code-platform', static_configs: [{ targets: [target] }] }],
      }),
    );
    const port = await freePort();
    prometheus = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    prometheus.once('error', (err) => {
      throw new Error(`prometheus is required (apt-get install prometheus): ${err.message}`);
    });
    const api = `http://127.0.0.1:${port}/api/v1`;
    const query = 'sum(ccp_http_request_duration_seconds_count{job="claude-code-platform",route="/v1/plugins/:id/:operation",status_code="400"})';
    let value = 0;
    const found = await waitUntil(async () => {
      try {
        const body = (await (await fetch(`${api}/query?query=${encodeURIComponent(query)}`)).json()) as { data?: { result?: { value: [number, string] }[] } };
        value = Number(body.data?.result?.[0]?.value[1] ?? 0);
        return value >= 3;
      } catch {
        return false;
      }
    }, 30_000, 250);
    expect({ found, value }).toEqual({ found: true, value: 3 });
    const rules = (await (await fetch(`${api}/rules`)).json()) as { data: { groups: { rules: unknown[] }[] } };
    expect(rules.data.groups[0]?.rules.length).toBeGreaterThanOrEqual(8);
    const up = (await (await fetch(`${api}/query?query=${encodeURIComponent('up{job="claude-code-platform"}')}`)).json()) as { data: { result: { value: [number, string] }[] } };
    expect(up.data.result[0]?.value[1]).toBe('1');
  });
});
