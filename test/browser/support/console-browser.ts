import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import type { SimReply } from '@ccp/testing';

// What the console's browser tests share: Chromium, a page watched for errors, axe-core,
// screenshots for the README, and the simulated reviewer's answer.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const IMAGES = join(__dirname, '../../../docs/images');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Debian's Chromium, headless, with no background networking (this machine's network is closed). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is required at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** A page and what it did that a test checks. */
export interface Watched {
  readonly page: Page;
  /** Console errors, page errors and CSP violations: each test ends with none. */
  readonly problems: string[];
  /** Requests the page sent to an operation route or /v1/jobs. */
  readonly calls: string[];
}

/** A new page `width` px wide that records its console errors, page errors, CSP violations and call requests. */
export async function watch(browser: Browser, width: number): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const w: Watched = { page, problems: [], calls: [] };
  page.on('console', (m) => m.type() === 'error' && w.problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => w.problems.push(`page error: ${e.message}`));
  page.on('request', (r) => r.method() === 'POST' && /\/v1\/(plugins\/[^/]+\/[^/]+|jobs)$/.test(r.url()) && w.calls.push(r.url()));
  await page.exposeFunction('reportCsp', (v: string) => w.problems.push(`CSP violation: ${v}`));
  await page.addInitScript("document.addEventListener('securitypolicyviolation', (e) => window.reportCsp(e.violatedDirective + ' ' + e.blockedURI))");
  return w;
}

/** axe-core's serious and critical violations on the page as it is now (injected through the DevTools protocol, so the CSP stays). */
export async function axe(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const violations = (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))",
  )) as { id: string; impact: string; targets: string[] }[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.targets.join(', ')}`);
}

/** Writes docs/images/console-<name>.png (the README embeds them), from the top of the page. */
export async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: join(IMAGES, `console-${name}.png`), fullPage });
}

/** Writes docs/images/console-<name>.png of the page from the top of `first` to the bottom of `last` (a card or a run of cards). */
export async function shotOf(page: Page, name: string, first: Locator, last = first): Promise<void> {
  await page.evaluate('window.scrollTo(0, 0)');
  const [a, b] = [await first.boundingBox(), await last.boundingBox()];
  if (!a || !b) throw new Error(`nothing to photograph for console-${name}.png: the element is not shown`);
  const x = Math.min(a.x, b.x);
  await page.screenshot({ path: join(IMAGES, `console-${name}.png`), fullPage: true, clip: { x, y: a.y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: b.y + b.height - a.y } });
}

/** Follows the navigation's link to a view and waits until it is shown. */
export async function go(page: Page, view: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: view }).click();
  await page.locator(`main[data-view="${view.toLowerCase()}"]`).waitFor();
}

const FINDING = { file: 'src/sum.ts', line: 3, severity: 'high', category: 'correctness', ruleId: 'correctness/off-by-one', message: 'i <= xs.length reads xs[xs.length], which is undefined', suggestion: 'Loop while i < xs.length.' };

/** A reviewer that talks first, paced (so the text arrives well before the result), then answers with two findings. */
export const review = (chunkDelayMs = 150): SimReply => ({
  chunkDelayMs,
  blocks: [
    { type: 'text', text: 'Reading src/sum.ts: the loop bound looks off by one.' },
    {
      type: 'tool_use',
      name: 'StructuredOutput',
      input: {
        summary: 'The loop reads one element past the end.',
        findings: [FINDING, { ...FINDING, line: 1, severity: 'low', category: 'maintainability', ruleId: 'maintainability/other', message: 'sum has no return type', suggestion: 'Declare : number.' }],
        filesReviewed: ['src/sum.ts'],
      },
    },
  ],
});
