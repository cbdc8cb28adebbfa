import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { FakeEngine, postJson, startTestRuntime, testKey, waitUntil, type TestRuntime } from '@ccp/testing';
import { axe, go, launchChromium, shot, watch, type Watched } from './support/console-browser';

// The console's admin views for keys and spend against the real routes: key management
// (/v1/admin/keys) and the usage ledger (GET /v1/admin/usage) on an embedded database. The
// agent engine is a fake (the views are under test, not the model); the calls it answers
// are real calls through the pipeline, so the ledger has their rows.

const admin = testKey('ops', { roles: ['user', 'admin'], plugins: ['*'] });
const review = { files: [{ path: 'a.ts', content: 'export const a = 1;\n' }] };

describe('the console admin views of keys and spend', () => {
  let rt: TestRuntime;
  let dir: string;
  let browser: Browser;
  let w: Watched;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ccp-console-keys-'));
    rt = await startTestRuntime({
      config: { auth: { enabled: true, keys: [admin.entry] }, database: { embeddedDir: join(dir, 'data'), ledger: { flushMs: 20 } } },
      engine: new FakeEngine({ output: { summary: 'Fine.', findings: [], filesReviewed: ['a.ts'] } }),
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

  async function signIn(key: string): Promise<void> {
    await w.page.goto(`${rt.url}/console`);
    await w.page.getByLabel('API key').fill(key);
    await w.page.getByLabel('API key').press('Enter');
    await w.page.locator('main[data-view="catalogue"]').waitFor();
  }

  it('lists keys, creates one (its secret shown once and working at once), rotates and revokes it; spend from the ledger by day and key, with a CSV download', async () => {
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

    // Spend: the two answered calls of today (ops and team-a; a 401 is no call of a key).
    const spend = w.page.getByTestId('spend');
    const today = new Date().toISOString().slice(0, 10);
    const totalCalls = () => spend.locator('tfoot td').first().innerText().catch(() => '');
    const refreshed = async () => {
      await spend.getByRole('button', { name: 'Refresh spend' }).click();
      return (await totalCalls()) === '2';
    };
    expect(await waitUntil(refreshed, 10_000, 200)).toBe(true);
    expect(await spend.locator('tbody tr').first().innerText()).toContain(today);
    await w.page.getByLabel('Group by').selectOption('key');
    await spend.locator('tbody tr', { hasText: 'team-a' }).waitFor();
    await spend.getByRole('button', { name: 'Prepare the CSV' }).click();
    const [download] = await Promise.all([w.page.waitForEvent('download'), spend.getByRole('link', { name: 'Download usage-by-key.csv' }).click()]);
    const csv = await readFile(await download.path(), 'utf8');
    expect(csv.split('\n')[0]).toContain('calls');
    expect(csv).toContain('team-a');
    expect(await axe(w.page)).toEqual([]);
    await shot(w.page, 'admin-keys', true);
  });
});
