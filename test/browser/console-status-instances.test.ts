import type { Browser } from 'playwright-core';
import { INSTANCE_ID, override } from '@ccp/runtime';
import { FakeEngine, postJson, startRedis, startTestRuntime, testKey, type TestRedis, type TestRuntime } from '@ccp/testing';
import { axe, go, launchChromium, shot, watch, type Watched } from './support/console-browser';

// The console's status view with two instances sharing one redis-server (two runtimes in
// this process, each with its own id; fake agent engines: no claude process). The page lists
// both, the serving one marked in words; one that stops leaves the table; with Redis away the
// page still shows this instance and says the others are unknown.

const admin = testKey('ops', { roles: ['user', 'admin'], plugins: ['*'] });

describe('the console status view of every instance', () => {
  let redis: TestRedis;
  let a: TestRuntime;
  let b: TestRuntime | undefined;
  let browser: Browser;
  let w: Watched;

  const replica = (id: string, simulator?: TestRuntime['simulator']) =>
    startTestRuntime({ config: { auth: { enabled: true, keys: [admin.entry] } }, redisUrl: redis.url, engine: new FakeEngine({ output: { summary: 'Fine.', findings: [], filesReviewed: ['a.ts'] } }), overrides: [override(INSTANCE_ID, id)], ...(simulator ? { simulator } : {}) });

  beforeAll(async () => {
    redis = await startRedis();
    a = await replica('replica-a');
    b = await replica('replica-b', a.simulator);
    browser = await launchChromium();
    w = await watch(browser, 1280);
  });
  afterAll(async () => {
    await w?.page.context().close();
    await browser?.close();
    await b?.close();
    await a?.close();
    await redis?.stop();
  });

  it('lists both instances, the serving one marked; a stopped one leaves; with Redis away, this one alone and the others unknown', async () => {
    // A few calls, so this instance's own counts below the table are not empty.
    for (let i = 0; i < 3; i++) expect((await postJson(`${a.url}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: `export const a = ${i};\n` }] }, { headers: admin.headers })).status).toBe(200);
    await w.page.goto(`${a.url}/console`);
    await w.page.getByLabel('API key').fill(admin.key);
    await w.page.getByLabel('API key').press('Enter');
    await w.page.locator('main[data-view="catalogue"]').waitFor();
    await go(w.page, 'Status');
    const table = w.page.getByTestId('instances');
    await table.locator('tr[data-instance="replica-b"]').waitFor();
    expect(await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-instance')))).toEqual(['replica-a', 'replica-b']);
    const self = await table.locator('tr[data-instance="replica-a"]').innerText();
    expect(self).toContain('serving this page');
    expect(self).toMatch(/closed/);
    const other = await table.locator('tr[data-instance="replica-b"]').innerText();
    expect(other).not.toContain('serving');
    expect(other).toMatch(/closed[\s\S]*0 running \/ \d+ · 0 queued[\s\S]*0 warming · 0 spare · 0 idle · 0 busy[\s\S]*\d+ s ago/);
    expect(await w.page.getByTestId('instances-source').innerText()).toContain('shared state (Redis)');
    expect(await axe(w.page)).toEqual([]);
    await shot(w.page, 'status-instances');

    // A stopped instance removes itself: gone at the next poll, not after its summary expires.
    await b?.close();
    b = undefined;
    await table.locator('tr[data-instance="replica-b"]').waitFor({ state: 'detached', timeout: 5_000 });

    await redis.stop();
    await w.page.getByTestId('instances-source').filter({ hasText: 'does not answer' }).waitFor({ timeout: 5_000 });
    expect(await table.locator('tbody tr').count()).toBe(1);
    expect(await table.locator('tr[data-instance="replica-a"]').innerText()).toContain('serving this page');
    expect(await axe(w.page)).toEqual([]);
    // Back: the view says so at the next poll.
    redis = await startRedis({ port: redis.port });
    await w.page.getByTestId('instances-source').filter({ hasText: 'Every live instance' }).waitFor({ timeout: 10_000 });
    expect(w.problems).toEqual([]);
  });
});
