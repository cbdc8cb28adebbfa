import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { postJson, processesUnder, startTestRuntime, testKey, waitUntil, type TestRuntime } from '@ccp/testing';
import { axe, go, launchChromium, review, shot, watch, type Watched } from './support/console-browser';

// The web console at /console in a real headless Chromium (Debian's package; .ci/run installs
// it), against the real platform and the real `claude` CLI talking to the simulator.

const run = promisify(execFile);

const admin = testKey('ops', { roles: ['user', 'admin'], plugins: ['*'] });
const user = testKey('dev', { roles: ['user'], plugins: ['code-review'] });

describe('the web console in a browser', () => {
  let rt: TestRuntime;
  let dir: string;
  let browser: Browser;
  const opened: Watched[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ccp-console-'));
    rt = await startTestRuntime({
      config: {
        auth: { enabled: true, keys: [admin.entry, user.entry] },
        // Keys and the ledger in an embedded database, as the shipped config keeps them.
        database: { embeddedDir: join(dir, 'data'), ledger: { flushMs: 20 } },
        // Opens after two failed queries and stays open until the test closes it.
        breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 120_000, rollingWindowMs: 60_000 },
      },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await rt?.close();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const w of opened.splice(0)) {
      const problems = [...w.problems];
      await w.page.context().close();
      expect(problems).toEqual([]);
    }
    rt.simulator.reset();
  });

  async function open(width = 1280): Promise<Watched> {
    const w = await watch(browser, width);
    opened.push(w);
    return w;
  }

  async function signIn(w: Watched, key: string): Promise<void> {
    const res = await w.page.goto(`${rt.url}/console`);
    expect(res?.status()).toBe(200);
    await w.page.getByLabel('API key').fill(key);
    await w.page.getByLabel('API key').press('Enter');
    await w.page.locator('main[data-view="catalogue"] article.plugin').first().waitFor();
  }

  it('serves the page with a strict CSP and fingerprinted, immutable assets', async () => {
    const res = await fetch(`${rt.url}/console`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).not.toMatch(/<script>|<style|style=|https?:\/\//);
    const assets = [...html.matchAll(/\/console\/assets\/([\w.-]+)/g)].map((m) => m[1] as string);
    expect(assets).toHaveLength(2);
    for (const a of assets) {
      expect(a).toMatch(/-[A-Z0-9]{8}\.(js|css)$/);
      const asset = await fetch(`${rt.url}/console/assets/${a}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    expect((await fetch(`${rt.url}/console/assets/..%2Fmanifest.json`)).status).toBe(404);
  });

  it('signs in with a key (Enter submits); the catalogue lists every served plugin with its details', async () => {
    const w = await open();
    await w.page.goto(`${rt.url}/console`);
    await w.page.getByLabel('API key').waitFor();
    // A control: the violation listener does catch what the policy blocks (a remote image, an inline script).
    await w.page.evaluate(`(() => { const i = new Image(); i.id = 'control-img'; i.src = 'https://cdn.example.com/x.png'; document.body.append(i); const s = document.createElement('script'); s.textContent = 'window.ran = 1'; document.body.append(s); })()`);
    expect(await waitUntil(() => w.problems.filter((p) => p.startsWith('CSP violation')).length >= 2, 5000)).toBe(true);
    expect(await w.page.evaluate('window.ran')).toBeUndefined();
    await w.page.evaluate("document.getElementById('control-img').remove()");
    w.problems.splice(0);
    expect(await axe(w.page)).toEqual([]);
    await shot(w.page, 'sign-in');
    await signIn(w, admin.key);
    const served = rt.runtime.registry.list();
    expect(await w.page.locator('article.plugin').count()).toBe(served.length);
    for (const p of served) {
      const card = w.page.locator(`article[data-plugin="${p.definition.id}"]`);
      await expect(card.locator('h2').innerText()).resolves.toContain(p.definition.version);
      expect(await card.innerText()).toContain(p.definition.description);
      expect(await card.innerText()).toContain(p.tools.mode);
      for (const op of p.operations.keys()) expect(await card.innerText()).toContain(`/v1/plugins/${p.definition.id}/${op}`);
    }
    const review = w.page.locator('article[data-plugin="code-review"]');
    await review.getByText('Input schema').click();
    expect(await review.locator('table.schema').first().innerText()).toContain('files[].path');
    await review.getByText('Example input').click();
    expect(await review.locator('pre').first().innerText()).toContain('src/sum.ts');
    expect(await axe(w.page)).toEqual([]);
    await shot(w.page, 'catalogue');
    // The key stays in the tab (sessionStorage), never in localStorage or a cookie.
    expect(await w.page.evaluate('[localStorage.length, document.cookie]')).toEqual([0, '']);
  });

  it('shows a non-admin key no admin view, and the admin route answers 403 to it', async () => {
    const w = await open();
    await signIn(w, user.key);
    expect(await w.page.locator('article.plugin').count()).toBe(1);
    const nav = w.page.getByRole('navigation', { name: 'Console' });
    expect(await nav.getByRole('link', { name: 'Status' }).count()).toBe(1);
    expect(await nav.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await w.page.goto(`${rt.url}/console#/admin`);
    await w.page.locator('main[data-view="catalogue"]').waitFor();
    expect(await w.page.locator('main[data-view="admin"]').count()).toBe(0);
    expect((await fetch(`${rt.url}/v1/admin/audit`, { headers: user.headers })).status).toBe(403);
    expect((await fetch(`${rt.url}/v1/admin/audit`, { headers: admin.headers })).status).toBe(200);
  });

  // Before any call succeeds: the breaker judges the share of failures in its rolling window.
  it('status: shows the breaker open within 5 s of a 529 storm', async () => {
    const w = await open();
    await signIn(w, admin.key);
    await go(w.page, 'Status');
    await w.page.getByTestId('breaker-state').filter({ hasText: 'closed' }).waitFor();
    rt.simulator.setFallback({ fault: 529 });
    const started = Date.now();
    const storm = [1, 2, 3].map(() => postJson(`${rt.url}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'x' }] }, { headers: admin.headers }).then((r) => r.status));
    await w.page.getByTestId('breaker-state').filter({ hasText: 'open' }).waitFor({ timeout: 5000 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await Promise.all(storm)).toEqual([503, 503, 503]);
    await w.page.locator('tr[data-plugin="code-review"]').waitFor();
    expect(await axe(w.page)).toEqual([]);
    await shot(w.page, 'status-breaker-open');
    rt.simulator.setFallback(undefined);
    expect((await fetch(`${rt.url}/v1/admin/breaker/reset`, { method: 'POST', headers: admin.headers })).status).toBe(200);
  });

  it('playground: runs the example as a stream (text before the result), renders the findings; the copied curl gives the same shape', async () => {
    const w = await open();
    await signIn(w, admin.key);
    await w.page.goto(`${rt.url}/console#/playground/code-review/review`);
    await w.page.getByLabel('Path of file 1').waitFor();
    expect(await w.page.getByLabel('Path of file 1').inputValue()).toBe('src/sum.ts');
    rt.simulator.enqueue(review());
    // Record when the streamed text and the result first appear, in the page's own clock.
    await w.page.evaluate(`(() => {
      const seen = (window.seen = {});
      new MutationObserver(() => {
        if (!seen.text && (document.querySelector('[data-testid="stream-text"]')?.textContent ?? '') !== '') seen.text = performance.now();
        if (!seen.result && document.querySelector('section.result')) seen.result = performance.now();
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    })()`);
    await w.page.getByRole('button', { name: 'Run', exact: true }).click();
    await w.page.locator('table.findings').waitFor({ timeout: 60_000 });
    const seen = (await w.page.evaluate('window.seen')) as { text?: number; result?: number };
    expect(seen.text).toBeGreaterThan(0);
    expect(seen.result).toBeGreaterThan(seen.text as number);
    expect(await w.page.getByTestId('stream-text').innerText()).toContain('loop bound looks off by one');
    const rows = w.page.locator('table.findings tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.first().locator('.sev').getAttribute('class')).toContain('sev-high');
    expect(await rows.first().locator('.loc').innerText()).toBe('src/sum.ts:3');
    expect(await w.page.getByTestId('cost').innerText()).toMatch(/^\$\d+\.\d{4}$/);
    expect(w.calls).toHaveLength(1);
    const shown = JSON.parse(await w.page.getByTestId('raw-result').textContent() ?? '{}') as { result: Record<string, unknown> };
    expect(await axe(w.page)).toEqual([]);
    await shot(w.page, 'playground', true);

    // The command under "Copy as curl", run as a user would, with the key in $CCP_KEY.
    await w.page.getByText('Copy as curl', { exact: true }).first().click();
    const curl = (await w.page.getByTestId('curl').textContent()) ?? '';
    expect(curl).toContain('$CCP_KEY');
    expect(curl).not.toContain(admin.key);
    rt.simulator.enqueue(review(0));
    const { stdout } = await run('bash', ['-c', curl], { env: { PATH: process.env.PATH ?? '', CCP_KEY: admin.key } });
    const body = JSON.parse(stdout) as { result: Record<string, unknown> };
    expect(Object.keys(body).sort()).toEqual(Object.keys(shown).sort());
    expect(Object.keys(body.result).sort()).toEqual(Object.keys(shown.result).sort());
    expect(body.result.findings).toEqual(shown.result.findings);
  });

  it('playground: an invalid form shows the field error, in the server words, and sends nothing', async () => {
    const w = await open();
    await signIn(w, admin.key);
    await w.page.goto(`${rt.url}/console#/playground/code-review/review`);
    await w.page.getByLabel('Path of file 1').fill('/etc/passwd');
    const before = rt.simulator.messageRequests().length;
    await w.page.getByRole('button', { name: 'Run', exact: true }).click();
    const error = w.page.locator('.field-error[data-field="files.0.path"]');
    await error.waitFor();
    expect(await w.page.getByLabel('Path of file 1').getAttribute('aria-invalid')).toBe('true');
    expect(w.calls).toEqual([]);
    expect(rt.simulator.messageRequests().length).toBe(before);
    // What the server says of the same input.
    const refused = await postJson(`${rt.url}/v1/plugins/code-review/review`, { files: [{ path: '/etc/passwd', content: 'x' }] }, { headers: admin.headers });
    expect(refused.status).toBe(400);
    const { errors } = (await refused.json()) as { errors: { field: string; message: string }[] };
    expect(errors).toContainEqual({ field: 'files.0.path', message: await error.innerText() });
    expect(await axe(w.page)).toEqual([]);
  });

  it('cancel: the button cuts the simulator stream and leaves no claude process', async () => {
    const w = await open();
    await signIn(w, admin.key);
    await w.page.goto(`${rt.url}/console#/playground/code-review/review`);
    await w.page.getByLabel('Path of file 1').waitFor();
    rt.simulator.setFallback({ auto: true, chunkDelayMs: 1000 });
    await w.page.getByRole('button', { name: 'Run', exact: true }).click();
    await w.page.getByTestId('stream-text').filter({ hasText: /\S/ }).waitFor({ timeout: 60_000 });
    expect(processesUnder(rt.workspaceRoot).length).toBeGreaterThan(0);
    const streaming = rt.simulator.messageRequests().filter((r) => r.completedAt === undefined);
    expect(streaming.length).toBeGreaterThan(0);
    await w.page.getByRole('button', { name: 'Cancel' }).click();
    await w.page.getByTestId('run-state').filter({ hasText: 'cancelled' }).waitFor();
    expect(await waitUntil(() => streaming.every((r) => r.closedAt !== undefined), 5000)).toBe(true);
    expect(streaming.every((r) => r.completedAt === undefined)).toBe(true);
    expect(await waitUntil(() => processesUnder(rt.workspaceRoot).length === 0, 5000)).toBe(true);
  });

  it('jobs: a running job is cancelled from the jobs view; its claude process ends', async () => {
    const w = await open();
    await signIn(w, admin.key);
    await w.page.goto(`${rt.url}/console#/playground/code-review/review`);
    await w.page.getByLabel('Path of file 1').waitFor();
    rt.simulator.setFallback({ hang: true });
    await w.page.getByRole('button', { name: 'Run as a job' }).click();
    await rt.simulator.waitForMessageRequests(1, 30_000);
    await go(w.page, 'Jobs');
    const row = w.page.locator('table.jobs tbody tr').first();
    await row.getByTestId('job-state').filter({ hasText: 'running' }).waitFor();
    expect(processesUnder(rt.workspaceRoot).length).toBeGreaterThan(0);
    await row.getByRole('button', { name: /^Cancel job / }).click();
    await row.getByTestId('job-state').filter({ hasText: 'cancelled' }).waitFor();
    expect(await waitUntil(() => processesUnder(rt.workspaceRoot).length === 0, 5000)).toBe(true);
    expect(rt.simulator.messageRequests().every((r) => r.completedAt !== undefined || r.closedAt !== undefined)).toBe(true);
    rt.simulator.setFallback(undefined);
  });

  it('jobs and sessions: a job run from the playground, its live state and result; a session continued from the page', async () => {
    const w = await open();
    await signIn(w, admin.key);
    await w.page.goto(`${rt.url}/console#/playground/code-review/review`);
    await w.page.getByLabel('Path of file 1').waitFor();
    rt.simulator.enqueue(review(0));
    await w.page.getByRole('button', { name: 'Run as a job' }).click();
    await w.page.locator('table.findings').waitFor({ timeout: 60_000 });
    expect(await w.page.getByTestId('run-state').innerText()).toMatch(/^Job \S+: done$/);
    await go(w.page, 'Jobs');
    const state = w.page.getByTestId('job-state').first();
    await state.filter({ hasText: 'succeeded' }).waitFor();
    await w.page.locator('table.jobs tbody tr a').first().click();
    await w.page.locator('#job-title').waitFor();
    await w.page.locator('section.card table.findings').waitFor();
    await w.page.getByRole('button', { name: 'sarif' }).click();
    await w.page.getByLabel('The result as sarif').filter({ hasText: '2.1.0' }).waitFor();
    expect(await axe(w.page)).toEqual([]);
    await shot(w.page, 'jobs');

    await go(w.page, 'Sessions');
    await w.page.getByLabel('Plugin').selectOption('code-review');
    await w.page.getByRole('button', { name: 'Start a session' }).click();
    await w.page.locator('#session-title').waitFor();
    await w.page.getByLabel('Message').fill('Which file did you read first?');
    rt.simulator.enqueue({ blocks: [{ type: 'text', text: 'I read src/sum.ts first.' }] });
    await w.page.getByRole('button', { name: 'Continue the session' }).click();
    const turn = w.page.getByTestId('turns').locator('li[data-turn="1"]');
    await turn.waitFor({ timeout: 60_000 });
    await w.page.getByTestId('session-turns').filter({ hasText: /^1 \// }).waitFor();
    // The turn is the platform's record, not the tab's: a reload shows it again.
    await w.page.reload();
    await turn.filter({ hasText: 'You: Which file did you read first?' }).filter({ hasText: 'code-review: I read src/sum.ts first.' }).waitFor();
    expect(await axe(w.page)).toEqual([]);
    await shot(w.page, 'sessions');
  });

  it('admin: the audit tail lists the calls, filtered by outcome', async () => {
    // One success and one refusal of its own, whatever ran before.
    rt.simulator.enqueue(review(0));
    const example = { files: [{ path: 'src/sum.ts', content: 'export const one = 1;\n' }] };
    expect((await postJson(`${rt.url}/v1/plugins/code-review/review`, example, { headers: admin.headers })).status).toBe(200);
    expect((await postJson(`${rt.url}/v1/plugins/code-review/review`, { files: [] }, { headers: admin.headers })).status).toBe(400);
    const w = await open();
    await signIn(w, admin.key);
    await go(w.page, 'Admin');
    const table = w.page.getByTestId('audit');
    await table.locator('tbody tr').first().waitFor();
    expect((await table.locator('tbody tr').allInnerTexts()).some((t) => t.includes('invalid_input'))).toBe(true);
    await w.page.getByLabel('Outcome').fill('success');
    await w.page.getByRole('button', { name: 'Filter' }).click();
    await waitUntil(async () => (await table.locator('tbody tr').allInnerTexts()).every((t) => t.includes('success')), 5000);
    const rows = await table.locator('tbody tr').allInnerTexts();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((t) => t.includes('success'))).toBe(true);
    // The keys of the config file, read-only, and the spend of the calls above from the ledger.
    await w.page.getByTestId('keys').locator('tr[data-key="dev"]').waitFor();
    await w.page.getByTestId('spend-table').locator('tfoot').waitFor();
    expect(await axe(w.page)).toEqual([]);
    await shot(w.page, 'admin');
    // The status after the calls of the tests before (the breaker closed by hand after the storm).
    await go(w.page, 'Status');
    await w.page.getByTestId('ttft').filter({ hasText: /p50 \d/ }).waitFor();
    expect(await axe(w.page)).toEqual([]);
    await shot(w.page, 'status');
  });

  it('is usable 390 px wide: no view scrolls sideways', async () => {
    const w = await open(390);
    await signIn(w, admin.key);
    for (const view of ['Catalogue', 'Playground', 'Jobs', 'Sessions', 'Status', 'Admin']) {
      await go(w.page, view);
      await w.page.locator('main h1').waitFor();
      expect([view, await w.page.evaluate('document.documentElement.scrollWidth')]).toEqual([view, 390]);
    }
    await go(w.page, 'Playground');
    await w.page.getByLabel('Path of file 1').waitFor();
    await shot(w.page, 'playground-390');
  });

  it('is keyboard-navigable: sign in, skip to the content, reach a view from the navigation', async () => {
    const w = await open();
    await w.page.goto(`${rt.url}/console`);
    await w.page.getByLabel('API key').waitFor();
    await w.page.keyboard.press('Tab');
    expect(await w.page.evaluate('document.activeElement.id')).toBe('api-key');
    await w.page.keyboard.type(admin.key);
    await w.page.keyboard.press('Enter');
    await w.page.locator('main[data-view="catalogue"] article.plugin').first().waitFor();
    await w.page.keyboard.press('Tab');
    expect(await w.page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    const focused: string[] = [];
    for (let i = 0; i < 4; i++) {
      await w.page.keyboard.press('Tab');
      focused.push(String(await w.page.evaluate('document.activeElement.textContent')));
    }
    expect(focused).toEqual(['Catalogue', 'Playground', 'Jobs', 'Sessions']);
    await w.page.keyboard.press('Shift+Tab');
    await w.page.keyboard.press('Shift+Tab');
    await w.page.keyboard.press('Enter');
    await w.page.locator('main[data-view="playground"]').waitFor();
    expect(await w.page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).not.toBe('none');
  });
});
