import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@ccp/runtime';
import { postJson, processesUnder, readEventStream, startTestRuntime, waitUntil, type TestRuntime } from '@ccp/testing';

// Spend that is true: a call that ends without a result is settled at the tokens the stream
// showed (the simulator's own token counts priced with pricing.models), not at the
// reservation, and audit, metrics and the budget record that one figure.

const review = { files: [{ path: 'a.ts', content: 'export const a = 1;\n' }] };
const RESERVATION = 0.5;
const pricing = parseConfig({}).pricing;

function priceOf(model: string, input: number, output: number): number {
  const entry = Object.entries(pricing.models).find(([k]) => model.toLowerCase().includes(k));
  if (!entry) throw new Error(`model ${model} is not in the price table`);
  return (input * entry[1].input + output * entry[1].output) / 1_000_000;
}

function auditLines(file: string): Record<string, unknown>[] {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'invocation');
  } catch {
    return [];
  }
}

async function spentToday(rt: TestRuntime): Promise<number> {
  const day = new Date().toISOString().slice(0, 10);
  return rt.runtime.state.counters.get(`spend:key:anonymous:day:${day}`);
}

describe('settled spend', () => {
  let rt: TestRuntime;
  let file: string;
  beforeEach(async () => {
    file = join(mkdtempSync(join(tmpdir(), 'ccp-spend-')), 'audit.log');
    rt = await startTestRuntime({ config: { audit: { file }, budgets: { reservationUsd: RESERVATION } } });
  });
  afterEach(() => rt.close());

  it('settles a call cancelled after its first streamed text at what the stream showed', async () => {
    rt.simulator.setFallback({ auto: true, chunkDelayMs: 300 });
    const client = new AbortController();
    const res = await postJson(`${rt.url}/v1/plugins/code-review/review`, review, { headers: { accept: 'text/event-stream' }, signal: client.signal });
    await readEventStream(res, (e) => (e.event === 'text' ? false : undefined)).catch(() => undefined);
    client.abort();
    expect(await waitUntil(() => auditLines(file).length === 1, 10_000)).toBe(true);
    const [line] = auditLines(file);
    const [sent] = rt.simulator.messageRequests();
    // message_start reported the request's input tokens and 1 output token so far
    const expected = priceOf(String(sent?.model), sent?.inputTokens ?? 0, 1);
    expect(line).toMatchObject({ outcome: 'client_closed_request', spendBasis: 'observed', inputTokens: sent?.inputTokens, outputTokens: 1 });
    expect(line?.costUsd).toBeCloseTo(expected, 6);
    expect(line?.costUsd as number).toBeLessThan(RESERVATION * 0.1);
    expect(line?.costUsd as number).toBeGreaterThan(0);
    expect(await spentToday(rt)).toBeCloseTo(expected, 6);
    expect(await rt.runtime.metrics.registry.getSingleMetricAsString('ccp_claude_cost_usd_total')).toContain(`plugin="code-review"} ${line?.costUsd}`);
    expect(await waitUntil(() => processesUnder(rt.workspaceRoot).length === 0, 5000)).toBe(true);
  });

  it('settles a call whose claude child is killed after one complete API response at that response', async () => {
    // test-helper writes a file first (one whole API response), then asks again: that second request hangs.
    rt.simulator.enqueue({ auto: true }, { hang: true });
    const pending = postJson(`${rt.url}/v1/plugins/test-helper/generate-tests`, { ...review, framework: 'jest' });
    await rt.simulator.waitForMessageRequests(2);
    for (const pid of processesUnder(rt.workspaceRoot)) process.kill(pid, 'SIGKILL');
    const res = await pending;
    expect(res.status).toBe(502);
    expect(((await res.json()) as { code: string }).code).toBe('agent_crashed');
    expect(await waitUntil(() => auditLines(file).length === 1, 10_000)).toBe(true);
    const [line] = auditLines(file);
    const [first] = rt.simulator.messageRequests();
    expect(line).toMatchObject({ outcome: 'agent_crashed', spendBasis: 'observed', inputTokens: first?.inputTokens });
    expect(line?.outputTokens as number).toBeGreaterThan(1);
    expect(line?.costUsd as number).toBeGreaterThan(0);
    expect(await spentToday(rt)).toBeCloseTo(line?.costUsd as number, 9);
  });
});
