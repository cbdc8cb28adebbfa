import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { postJson, startTestRuntime, testKey, type TestRuntime } from '@ccp/testing';
import { catalogue } from '../catalogue';

// 200 calls at once from a key whose budget holds 50 reservations: the atomic reservation
// keeps spend within the budget plus one call's reservation, the ledger holds one row per
// call (refusals included), and the usage endpoint says what the audit lines say.

const RESERVATION = 0.02;
const BUDGET = 50 * RESERVATION;
const admin = testKey('ops', { roles: ['admin'] });
const diff = '--- a/a.ts\n+++ b/a.ts\n@@ -1 +1 @@\n-export const a = 1;\n+export const a = 2;\n';

describe('200 concurrent calls against a budget for 50', () => {
  let rt: TestRuntime;
  let dir: string;
  const audit: { requestId: string; key: string; outcome: string; costUsd: number }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ccp-budget-'));
    rt = await startTestRuntime({
      baseDir: catalogue.baseDir,
      config: {
        logging: { level: 'info' },
        plugins: catalogue.plugins,
        auth: { enabled: true, keys: [admin.entry] },
        budgets: { reservationUsd: RESERVATION },
        admission: { maxConcurrent: 100 },
        database: { embeddedDir: join(dir, 'data'), ledger: { flushMs: 100 } },
      },
      logDestination: new Writable({
        write: (chunk, _e, done) => {
          for (const line of String(chunk).split('\n').filter(Boolean)) {
            const parsed = JSON.parse(line) as { audit?: boolean; msg?: string };
            if (parsed.audit && parsed.msg === 'invocation') audit.push(parsed as never);
          }
          done();
        },
      }),
    });
    // Every answer waits 300 ms for its first byte, so the 200 calls are in flight together.
    rt.simulator.setProfile({ name: 'held', firstByteMs: 300, eventIntervalMs: 0 });
  }, 60_000);
  afterAll(async () => {
    await rt?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never spends past the budget by more than one reservation; ledger, usage and audit agree', async () => {
    const made = await postJson(`${rt.url}/v1/admin/keys`, { name: 'burst', maxConcurrent: 500, budget: { dailyUsd: BUDGET } }, { headers: admin.headers });
    expect(made.status).toBe(201);
    const { key, secret } = (await made.json()) as { key: { id: string }; secret: string };
    const statuses = await Promise.all(
      Array.from({ length: 200 }, () => postJson(`${rt.url}/v1/plugins/commit-message/write`, { diff }, { headers: { authorization: `Bearer ${secret}` } }).then(async (r) => ({ status: r.status, body: (await r.json()) as { code?: string } }))),
    );
    const answered = statuses.filter((s) => s.status === 200).length;
    const exhausted = statuses.filter((s) => s.body.code === 'budget_exhausted').length;
    expect(answered).toBeGreaterThanOrEqual(50);
    expect(exhausted).toBeGreaterThan(0);
    type Report = { groups: { group: string; calls: number; answered: number; costUsd: number }[] };
    let row: Report['groups'][number] | undefined;
    const deadline = Date.now() + 10_000;
    while (row?.calls !== 200 && Date.now() < deadline) {
      const report = (await (await fetch(`${rt.url}/v1/admin/usage?groupBy=key`, { headers: admin.headers })).json()) as Report;
      row = report.groups.find((g) => g.group === key.id);
      if (row?.calls !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(row?.calls).toBe(200);
    expect(row?.answered).toBe(answered);
    expect(row?.costUsd).toBeLessThanOrEqual(BUDGET + RESERVATION);
    const lines = audit.filter((l) => l.key === 'burst');
    expect(lines).toHaveLength(200);
    expect(row?.costUsd).toBeCloseTo(lines.reduce((sum, l) => sum + l.costUsd, 0), 6);
    expect(lines.filter((l) => l.outcome === 'budget_exhausted')).toHaveLength(exhausted);
  }, 120_000);
});
