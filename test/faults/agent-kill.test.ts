import { startSimulator, waitUntil, type Simulator } from '@ccp/testing';
import { billed } from './support/billing';
import { auditLineOf, gate } from './support/helpers';
import { expectProblem, expectProblemBody, must } from './support/problems';
import { Probe, PROBE_TIMEOUT_MS, saveUnfinishedProbes } from './support/probe';
import { bootServer, killLeftoverServers, type FaultServer } from './support/server';
import { sseCall } from './support/sse';
import { claudeHolding, claudeProcesses } from './support/tree';

// The `claude` child of a call killed with SIGKILL (found in the server's process tree by
// the call's file in its working directory) before the first byte of an answer, mid-stream
// and between two API turns, with the warm pool on as in production: the call ends with
// 502 agent_crashed, never a 500, and is settled at what the simulator billed until then,
// one figure in the audit line, the budget and the cost metric. A pooled process killed
// while idle is replaced for the next call.

const files = (name: string) => ({ files: [{ path: name, content: 'export const a = 1;\n' }] });

describe('claude children killed', () => {
  let sim: Simulator;
  let server: FaultServer;
  beforeAll(async () => {
    sim = await startSimulator();
    server = await bootServer({ simulator: sim, config: { pool: { enabled: true, sparesPerOperation: 0, maxProcesses: 4 }, budgets: { reservationUsd: 0.5 } } });
  });
  afterAll(async () => {
    saveUnfinishedProbes();
    await killLeftoverServers();
    await sim.close();
  });

  /** The user key's spend today as the budget has it, and the code-review and test-helper cost metrics. */
  async function ledger(p: Probe): Promise<{ budget: number; metric: number }> {
    const usage = await p.get('GET /v1/admin/budgets', '/v1/admin/budgets', { as: 'admin' });
    const keys = (usage.json?.keys ?? []) as { name: string; spentTodayUsd: number }[];
    const metrics = await p.get('GET /metrics', '/metrics', { as: 'nobody' });
    const metric = [...metrics.text.matchAll(/^ccp_claude_cost_usd_total\{plugin="[^"]+"\} ([0-9.e+-]+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    return { budget: keys.find((k) => k.name === p.server.keys.user.name)?.spentTodayUsd ?? Number.NaN, metric };
  }

  /** Kills the claude process running the call that brought `fileName`, once it appears. */
  async function killHolder(fileName: string): Promise<void> {
    let pid: number | undefined;
    const found = await waitUntil(() => (pid = claudeHolding(server.pid, fileName)) !== undefined, 10_000, 20);
    if (!found || pid === undefined) throw new Error(`no claude process holds ${fileName}`);
    process.kill(pid, 'SIGKILL');
  }

  /** The call's one audit line says agent_crashed and `expected`; the budget and the cost metric moved by the same figure. */
  async function settledOnce(p: Probe, requestId: string, before: { budget: number; metric: number }, expected: ReturnType<typeof billed>): Promise<void> {
    const line = await auditLineOf(p, requestId);
    const got = { costUsd: line.costUsd, inputTokens: line.inputTokens, outputTokens: line.outputTokens, basis: line.spendBasis };
    must(JSON.stringify(got) === JSON.stringify(expected), 'the audited spend', expected, got);
    let after = before;
    const agreed = await waitUntil(async () => {
      after = await ledger(p);
      return Math.abs(after.budget - before.budget - line.costUsd) < 1e-6 && Math.abs(after.metric - before.metric - line.costUsd) < 1e-6;
    }, 3000, 100);
    must(agreed, 'budget and cost metric', `each +$${line.costUsd}`, { budget: after.budget - before.budget, metric: after.metric - before.metric });
  }

  it('killed before the first byte, mid-stream, between API turns, and while idle in the pool', async () => {
    const p = new Probe('claude child killed (SIGKILL)', server, 'one call whose claude child is killed at one phase');

    await p.attempt('before the first byte of an answer', async () => {
      const held = gate();
      sim.setFallback({ auto: true, after: held.promise });
      try {
        const before = await ledger(p);
        const sent = sim.messageRequests().length;
        const call = p.post('review, killed before the first byte', '/v1/plugins/code-review/review', files('kill-first-byte.ts'), { spend: 'any' });
        await sim.waitForMessageRequests(sent + 1);
        await killHolder('kill-first-byte.ts');
        const expected = billed(sim.messageRequests().slice(sent), 'not started');
        const res = await call;
        expectProblem(res, 'agent_crashed');
        await settledOnce(p, res.requestId, before, expected);
      } finally {
        held.open();
        sim.setFallback(undefined);
      }
    });

    await p.attempt('mid-stream (SSE, after the first text)', async () => {
      sim.setFallback({ auto: true, chunkDelayMs: 300 });
      try {
        const before = await ledger(p);
        const sent = sim.messageRequests().length;
        let expected: ReturnType<typeof billed> | undefined;
        let killed: Promise<void> | undefined;
        const { events, call } = await sseCall(p, 'review over SSE, killed mid-stream', '/v1/plugins/code-review/review', files('kill-mid-stream.ts'), {
          spend: 'any',
          onEvent: (e) => {
            if (e.event !== 'text' || killed) return;
            killed = killHolder('kill-mid-stream.ts').then(() => void (expected = billed(sim.messageRequests().slice(sent), 'started')));
          },
        });
        await killed;
        must(events.at(-1)?.event === 'error', 'the last event', 'error', events.map((e) => e.event));
        expectProblemBody(events.at(-1)?.data, 'agent_crashed');
        if (!expected) throw new Error('the stream sent no text before it ended');
        await settledOnce(p, call.requestId as string, before, expected);
      } finally {
        sim.setFallback(undefined);
      }
    });

    await p.attempt('between two API turns (after a whole answer)', async () => {
      // test-helper writes its test file in a first turn (one whole, billed answer), then asks again.
      const held = gate();
      sim.enqueue({ auto: true });
      sim.setFallback({ auto: true, after: held.promise });
      try {
        const before = await ledger(p);
        const sent = sim.messageRequests().length;
        const call = p.post('generate-tests, killed between turns', '/v1/plugins/test-helper/generate-tests', { ...files('kill-between.ts'), framework: 'jest' }, { spend: 'any' });
        await sim.waitForMessageRequests(sent + 2);
        await killHolder('kill-between.ts');
        const expected = billed(sim.messageRequests().slice(sent), 'not started');
        must(expected.outputTokens > 1, 'the first answer', 'billed whole', expected);
        const res = await call;
        expectProblem(res, 'agent_crashed');
        await settledOnce(p, res.requestId, before, expected);
      } finally {
        held.open();
        sim.setFallback(undefined);
      }
    });

    await p.attempt('while idle in the warm pool', async () => {
      const first = await p.post('a review (keeps its process)', '/v1/plugins/code-review/review', files('kill-idle.ts'));
      must(first.status === 200, 'the review', 200, first.status);
      const idle = claudeProcesses(server.pid);
      must(idle.length > 0, 'idle pool processes', 'at least one', idle.length);
      for (const pid of idle) process.kill(pid, 'SIGKILL');
      const next = await p.post('the next review of the same caller', '/v1/plugins/code-review/review', files('kill-idle-next.ts'));
      must(next.status === 200, 'the next review', 200, `${next.status} ${next.text.slice(0, 150)}`);
    });

    await p.finish({ shutdown: true });
  }, PROBE_TIMEOUT_MS);
});
