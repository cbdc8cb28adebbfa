import { startTestDatabase, type TestDatabase } from '@ccp/testing';
import type { AuditEntry } from '../audit/audit-log';
import type { Database } from '../db/database';
import { LedgerWriter } from './ledger-writer';
import { pruneLedger, spendSince, usageCsv, usageReport } from './usage-report';

const entry = (over: Partial<AuditEntry> = {}): AuditEntry => ({
  requestId: 'r', key: 'ci-bot', keyId: 'key_a', plugin: 'code-review', operation: 'review', transport: 'http', engine: 'agent', outcome: 'success',
  inputTokens: 100, outputTokens: 10, cacheReadInputTokens: 5, cacheCreationInputTokens: 1, costUsd: 0.01, durationMs: 20, ...over,
});

describe('the usage ledger', () => {
  let testDb: TestDatabase;
  let db: Database;
  let now: Date;

  beforeAll(async () => {
    testDb = await startTestDatabase();
    db = testDb.db;
  }, 60_000);

  beforeEach(async () => {
    await db.query('DELETE FROM ccp_ledger');
    now = new Date('2026-12-01T10:00:00Z');
  });

  afterAll(async () => {
    await testDb?.close();
  });

  it('writes one row per audit line off the caller (append only queues) and answers grouped reports', async () => {
    const written: number[] = [];
    const writer = new LedgerWriter(db, { flushMs: 60_000, maxBacklog: 100, now: () => now, events: { written: (n) => written.push(n) } });
    writer.append(entry());
    writer.append(entry({ outcome: 'cache_hit', costUsd: 0, inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 }));
    now = new Date('2026-12-02T10:00:00Z');
    writer.append(entry({ key: 'other', keyId: 'file:other', plugin: 'doc-generator', operation: 'generate', outcome: 'budget_exhausted', costUsd: 0, inputTokens: 0, outputTokens: 0, jobId: 'job-1', transport: 'job' }));
    expect(writer.backlog).toBe(3);
    expect(await db.query('SELECT count(*)::int AS n FROM ccp_ledger')).toEqual([{ n: 0 }]);
    await writer.close();
    expect(written).toEqual([3]);
    const range = { from: new Date('2026-12-01T00:00:00Z'), to: new Date('2026-12-03T00:00:00Z') };
    const byKey = await usageReport(db, { ...range, groupBy: 'key' });
    expect(byKey).toEqual([
      { group: 'file:other', keyName: 'other', calls: 1, answered: 0, inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 5, cacheCreationInputTokens: 1, costUsd: 0 },
      { group: 'key_a', keyName: 'ci-bot', calls: 2, answered: 2, inputTokens: 100, outputTokens: 10, cacheReadInputTokens: 5, cacheCreationInputTokens: 1, costUsd: 0.01 },
    ]);
    expect((await usageReport(db, { ...range, groupBy: 'day' })).map((r) => [r.group, r.calls])).toEqual([['2026-12-01', 2], ['2026-12-02', 1]]);
    expect((await usageReport(db, { ...range, groupBy: 'operation', keyId: 'key_a' })).map((r) => [r.group, r.calls])).toEqual([['code-review/review', 2]]);
    // A second grouping inside the first: per day, per key (with the key's name) or per plugin.
    expect((await usageReport(db, { ...range, groupBy: 'day', splitBy: 'key' })).map((r) => [r.group, r.split, r.keyName, r.calls, r.costUsd])).toEqual([['2026-12-01', 'key_a', 'ci-bot', 2, 0.01], ['2026-12-02', 'file:other', 'other', 1, 0]]);
    const dayPlugin = await usageReport(db, { ...range, groupBy: 'day', splitBy: 'plugin' });
    expect(dayPlugin.map((r) => [r.group, r.split, r.calls])).toEqual([['2026-12-01', 'code-review', 2], ['2026-12-02', 'doc-generator', 1]]);
    expect(dayPlugin[0]).not.toHaveProperty('keyName');
    expect(usageCsv(dayPlugin, 'day', 'plugin').split('\r\n')[1]).toBe('2026-12-01,code-review,2,2,100,10,5,1,0.01');
    expect(await db.query('SELECT job_id, transport FROM ccp_ledger WHERE job_id IS NOT NULL')).toEqual([{ job_id: 'job-1', transport: 'job' }]);
    expect(usageCsv(byKey, 'key').split('\r\n')[0]).toBe('group,keyName,calls,answered,inputTokens,outputTokens,cacheReadInputTokens,cacheCreationInputTokens,costUsd');
    expect(usageCsv([{ ...byKey[0]!, keyName: '=cmd()' }], 'key')).toContain(",'=cmd(),");
  });

  it('keeps rows while the database fails and writes them once it answers again', async () => {
    let down = true;
    const flaky: Database = { ...db, query: (sql, params) => (down ? Promise.reject(new Error('connection refused')) : db.query(sql, params)) };
    const failures: unknown[] = [];
    const writer = new LedgerWriter(flaky, { flushMs: 60_000, maxBacklog: 2, now: () => now, events: { failed: (e) => failures.push(e) } });
    let dropped = 0;
    const dropping = new LedgerWriter(flaky, { flushMs: 60_000, maxBacklog: 1, events: { dropped: (n) => (dropped += n) } });
    writer.append(entry({ requestId: 'a' }));
    writer.append(entry({ requestId: 'b' }));
    await writer.flush();
    expect(failures).toHaveLength(1);
    expect(writer.backlog).toBe(2);
    now = new Date(now.getTime() + 5_000);
    expect(writer.lagSeconds()).toBe(5);
    dropping.append(entry());
    dropping.append(entry());
    expect(dropped).toBe(1);
    down = false;
    await writer.flush();
    await dropping.close();
    expect(writer.backlog).toBe(0);
    expect(writer.lagSeconds()).toBe(0);
    expect((await db.query<{ request_id: string }>('SELECT request_id FROM ccp_ledger ORDER BY id')).map((r) => r.request_id)).toEqual(['a', 'b', 'r']);
    await writer.close();
  });

  it('sums spend since a time for rebuilding budgets, and deletes rows past their retention', async () => {
    const writer = new LedgerWriter(db, { flushMs: 60_000, maxBacklog: 100, now: () => now });
    writer.append(entry({ costUsd: 0.25 }));
    now = new Date('2026-12-01T11:00:00Z');
    writer.append(entry({ costUsd: 0.5, plugin: 'doc-generator' }));
    await writer.close();
    const spend = await spendSince(db, new Date('2026-12-01T10:30:00Z'));
    expect([...spend.keys]).toEqual([['ci-bot', 0.5]]);
    expect([...spend.plugins]).toEqual([['doc-generator', 0.5]]);
    expect([...(spend.keyPlugins.get('ci-bot') ?? [])]).toEqual([['doc-generator', 0.5]]);
    expect(await pruneLedger(db, 400, new Date('2028-01-05T10:30:00Z'))).toBe(1);
    expect(await db.query('SELECT count(*)::int AS n FROM ccp_ledger')).toEqual([{ n: 1 }]);
  });
});
