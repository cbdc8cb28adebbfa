import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { FakeEngine, startTestRuntime, type TestRuntime } from '@ccp/testing';
import { catalogue } from '../catalogue';

// The human-readable API page in a real headless Chromium (Debian's package; .ci/run installs it).

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('/docs in a browser', () => {
  let rt: TestRuntime;
  let browser: Browser;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is required at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
    rt = await startTestRuntime({ config: { plugins: catalogue.plugins }, baseDir: catalogue.baseDir, engine: new FakeEngine() });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await rt?.close();
  });

  it('shows every plugin and operation, navigates, and expands a schema', async () => {
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on('console', (m) => m.type() === 'error' && failures.push(m.text()));
    page.on('requestfailed', (r) => failures.push(r.url()));
    const res = await page.goto(`${rt.url}/docs`);
    expect(res?.status()).toBe(200);
    expect(await page.title()).toBe('Claude Code Platform API');

    for (const plugin of rt.runtime.registry.list()) {
      await expect(page.locator(`#${plugin.definition.id} h2`).innerText()).resolves.toContain(plugin.definition.id);
      for (const op of plugin.operations.keys()) {
        expect(await page.locator(`#${plugin.definition.id}-${op} h3`).innerText()).toContain(`/v1/plugins/${plugin.definition.id}/${op}`);
      }
    }

    await page.click('nav a[href="#test-helper"]');
    expect(page.url()).toMatch(/#test-helper$/);
    const schema = page.locator('#test-helper-generate-tests details').first();
    await schema.locator('summary').click();
    expect(await schema.locator('pre').isVisible()).toBe(true);
    expect(await schema.locator('pre').innerText()).toContain('"framework"');

    await page.screenshot({ path: join(tmpdir(), 'ccp-docs-page.png'), fullPage: false });
    expect(failures).toEqual([]);
  });
});
