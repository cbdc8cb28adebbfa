import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { FakeEngine, startTestRuntime, testKey, waitUntil, type TestRuntime } from '@ccp/testing';
import { axe, go, launchChromium, shot, watch, type Watched } from './support/console-browser';

// The console's admin views for keys and spend, a PREVIEW: issue 19's routes are built on
// another branch, so the page talks to stubs of the shapes that issue names (the browser
// intercepts the requests). These tests check the views, not the routes. No query runs:
// the agent engine is a fake.

const admin = testKey('ops', { roles: ['user', 'admin'], plugins: ['*'] });

describe('the console admin preview of issue 19 (stubbed routes)', () => {
  let rt: TestRuntime;
  let browser: Browser;
  let w: Watched;

  beforeAll(async () => {
    rt = await startTestRuntime({ config: { auth: { enabled: true, keys: [admin.entry] } }, engine: new FakeEngine() });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await rt?.close();
  });
  beforeEach(async () => {
    w = await watch(browser, 1280);
  });
  afterEach(async () => {
    const problems = [...w.problems];
    await w.page.context().close();
    expect(problems).toEqual([]);
  });

  async function signIn(key: string): Promise<void> {
    await w.page.goto(`${rt.url}/console`);
    await w.page.getByLabel('API key').fill(key);
    await w.page.getByLabel('API key').press('Enter');
    await w.page.locator('main[data-view="catalogue"]').waitFor();
  }

  it('admin, preview of issue 19: keys listed, created (the secret shown once), rotated, revoked; spend by day with a CSV download (stubbed routes)', async () => {
    const sent: string[] = [];
    const keys = [
      { id: 'k1', name: 'ci-bot', roles: ['user'], plugins: ['code-review'], expiresAt: null, state: 'active', source: 'database', prefix: 'ccp_Ab', last4: 'x9Q2' },
      { id: 'file:ops', name: 'ops', roles: ['user', 'admin'], plugins: ['*'], state: 'active', source: 'file', prefix: 'ccp_', last4: '' },
    ];
    const csv = 'day,calls,costUsd\n2026-12-01,12,0.4200\n2026-12-02,3,0.0900\n';
    await w.page.route('**/openapi.json', async (route) => {
      const doc = (await (await route.fetch()).json()) as { paths: Record<string, Record<string, { parameters?: object[] }>> };
      doc.paths['/v1/admin/keys'] = { get: {}, post: {} };
      doc.paths['/v1/admin/usage']?.get?.parameters?.push({ name: 'groupBy', in: 'query' });
      if (!doc.paths['/v1/admin/usage']?.get?.parameters) (doc.paths['/v1/admin/usage'] as Record<string, object>).get = { parameters: [{ name: 'groupBy', in: 'query' }] };
      await route.fulfill({ json: doc });
    });
    await w.page.route('**/v1/admin/keys**', async (route) => {
      const r = route.request();
      sent.push(`${r.method()} ${new URL(r.url()).pathname} ${r.postData() ?? ''}`.trim());
      expect(r.headers().authorization).toBe(`Bearer ${admin.key}`);
      if (r.method() === 'GET') return route.fulfill({ json: { keys } });
      if (r.method() === 'POST' && r.url().endsWith('/rotate')) return route.fulfill({ json: { id: 'k1', secret: 'ccp_rotated_secret_0123456789abcdefghij' } });
      if (r.method() === 'POST') return route.fulfill({ status: 201, json: { key: { id: 'k2', name: 'team-a' }, secret: 'ccp_new_secret_0123456789abcdefghijklmn' } });
      return route.fulfill({ status: 204 });
    });
    await w.page.route('**/v1/admin/usage?**', (route) =>
      new URL(route.request().url()).searchParams.get('format') === 'csv'
        ? route.fulfill({ contentType: 'text/csv', body: csv })
        : route.fulfill({ json: { rows: [{ day: '2026-12-01', calls: 12, costUsd: 0.42 }, { day: '2026-12-02', calls: 3, costUsd: 0.09 }] } }),
    );
    await signIn(admin.key);
    await go(w.page, 'Admin');
    const table = w.page.getByTestId('keys').locator('table');
    await table.locator('tr[data-key="ci-bot"]').waitFor();
    expect(await table.locator('tr[data-key="ops"]').innerText()).toContain('read-only');
    await w.page.getByLabel('Name', { exact: true }).fill('team-a');
    await w.page.getByLabel('Plugins (comma-separated, * for all)').fill('code-review, doc-generator');
    await w.page.getByRole('button', { name: 'Create a key' }).click();
    expect(await w.page.getByTestId('new-secret').innerText()).toBe('ccp_new_secret_0123456789abcdefghijklmn');
    expect(sent).toContainEqual('POST /v1/admin/keys {"name":"team-a","roles":["user"],"plugins":["code-review","doc-generator"]}');
    await w.page.getByRole('button', { name: 'Rotate ci-bot' }).click();
    await w.page.getByTestId('new-secret').filter({ hasText: 'ccp_rotated_secret' }).waitFor();
    await w.page.getByRole('button', { name: 'Revoke ci-bot' }).click();
    await waitUntil(() => sent.includes('DELETE /v1/admin/keys/k1'), 5000);
    expect(sent).toEqual(expect.arrayContaining(['POST /v1/admin/keys/k1/rotate {}', 'DELETE /v1/admin/keys/k1']));
    const spend = w.page.getByTestId('spend');
    await spend.locator('tbody tr').nth(1).waitFor();
    expect(await spend.locator('tbody tr').first().innerText()).toContain('2026-12-01');
    await spend.getByRole('button', { name: 'Prepare the CSV' }).click();
    const [download] = await Promise.all([w.page.waitForEvent('download'), spend.getByRole('link', { name: 'Download usage-by-day.csv' }).click()]);
    expect(readFileSync(await download.path(), 'utf8')).toBe(csv);
    expect(await axe(w.page)).toEqual([]);
    await shot(w.page, 'admin-keys-preview', true);
  });
});
