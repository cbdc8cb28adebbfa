import type { Database, SqlValue } from '../db/database';

/** How usage rows are grouped. */
export type UsageGroup = 'key' | 'plugin' | 'operation' | 'day';

/** A usage question: a half-open time range, a grouping (and a second one inside it), optionally one key only. */
export interface UsageQuery {
  readonly from: Date;
  readonly to: Date;
  readonly groupBy: UsageGroup;
  /** A second grouping inside each group (e.g. day, then plugin): one row per pair. */
  readonly splitBy?: UsageGroup;
  /** Only this key's calls (GET /v1/usage: a key sees its own). */
  readonly keyId?: string;
}

/** One group of a usage report. */
export interface UsageRow {
  /** The key id, plugin id, `plugin/operation`, or UTC day (YYYY-MM-DD). */
  readonly group: string;
  /** With splitBy: the second group, in the same terms. */
  readonly split?: string;
  /** With groupBy=key or splitBy=key: the key's name (the latest it was used under). */
  readonly keyName?: string;
  readonly calls: number;
  /** Calls that answered (success or a cache hit). */
  readonly answered: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheCreationInputTokens: number;
  readonly costUsd: number;
}

const GROUP_SQL: Record<UsageGroup, string> = {
  key: 'key_id',
  plugin: 'plugin',
  operation: "plugin || '/' || operation",
  day: "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
};

interface Raw {
  grp: string;
  part: string | null;
  key_name: string | null;
  calls: number;
  answered: number;
  input_tokens: number;
  output_tokens: number;
  cache_read: number;
  cache_write: number;
  cost: string | number;
}

/** Rounds dollars to 6 decimals, as every usage figure is shown. */
const usd = (v: string | number) => Math.round(Number(v) * 1e6) / 1e6;

/** Answers a usage question from the ledger: one SQL aggregate, sorted by group (then split). */
export async function usageReport(db: Database, q: UsageQuery): Promise<UsageRow[]> {
  const params: SqlValue[] = [q.from, q.to];
  const where = ['at >= $1', 'at < $2'];
  if (q.keyId) {
    params.push(q.keyId);
    where.push(`key_id = $${params.length}`);
  }
  const group = GROUP_SQL[q.groupBy];
  const split = q.splitBy ? GROUP_SQL[q.splitBy] : undefined;
  const named = q.groupBy === 'key' || q.splitBy === 'key';
  const rows = await db.query<Raw>(
    `SELECT ${group} AS grp, ${split ?? 'NULL'} AS part, ${named ? 'max(key_name)' : 'NULL'} AS key_name,
       count(*)::float8 AS calls,
       count(*) FILTER (WHERE outcome IN ('success', 'cache_hit'))::float8 AS answered,
       sum(input_tokens)::float8 AS input_tokens, sum(output_tokens)::float8 AS output_tokens,
       sum(cache_read_tokens)::float8 AS cache_read, sum(cache_write_tokens)::float8 AS cache_write,
       sum(cost_usd)::text AS cost
     FROM ccp_ledger WHERE ${where.join(' AND ')} GROUP BY ${split ? '1, 2 ORDER BY 1, 2' : '1 ORDER BY 1'}`,
    params,
  );
  return rows.map((r) => ({
    group: r.grp,
    ...(split ? { split: r.part ?? '' } : {}),
    ...(named ? { keyName: r.key_name ?? '' } : {}),
    calls: Number(r.calls),
    answered: Number(r.answered),
    inputTokens: Number(r.input_tokens),
    outputTokens: Number(r.output_tokens),
    cacheReadInputTokens: Number(r.cache_read),
    cacheCreationInputTokens: Number(r.cache_write),
    costUsd: usd(r.cost),
  }));
}

const CSV_COLUMNS = ['group', 'split', 'keyName', 'calls', 'answered', 'inputTokens', 'outputTokens', 'cacheReadInputTokens', 'cacheCreationInputTokens', 'costUsd'] as const;

/** A value as one CSV field (RFC 4180), with a leading `=`, `+`, `-` or `@` defused for spreadsheets. */
function field(v: unknown): string {
  let s = v === undefined || v === null ? '' : String(v);
  if (typeof v === 'string' && /^[=+\-@]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** A report as CSV with a header line (split only with splitBy; keyName only when one of the two groupings is key). */
export function usageCsv(rows: readonly UsageRow[], groupBy: UsageGroup, splitBy?: UsageGroup): string {
  const columns = CSV_COLUMNS.filter((c) => (c !== 'split' || splitBy) && (c !== 'keyName' || groupBy === 'key' || splitBy === 'key'));
  return [columns.join(','), ...rows.map((r) => columns.map((c) => field(r[c as keyof UsageRow])).join(','))].join('\r\n') + '\r\n';
}

/**
 * Spend per key and per plugin since `since`, for rebuilding budget counters at boot:
 * the ledger is the record, the counters only its fast copy.
 */
export async function spendSince(db: Database, since: Date): Promise<{ keys: Map<string, number>; plugins: Map<string, number>; keyPlugins: Map<string, Map<string, number>> }> {
  const rows = await db.query<{ key_name: string; plugin: string; cost: string }>(
    `SELECT key_name, plugin, sum(cost_usd)::text AS cost FROM ccp_ledger WHERE at >= $1 GROUP BY key_name, plugin`,
    [since],
  );
  const keys = new Map<string, number>();
  const plugins = new Map<string, number>();
  const keyPlugins = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const usd = Number(r.cost);
    keys.set(r.key_name, (keys.get(r.key_name) ?? 0) + usd);
    if (!r.plugin) continue;
    plugins.set(r.plugin, (plugins.get(r.plugin) ?? 0) + usd);
    const byPlugin = keyPlugins.get(r.key_name) ?? new Map<string, number>();
    byPlugin.set(r.plugin, usd);
    keyPlugins.set(r.key_name, byPlugin);
  }
  return { keys, plugins, keyPlugins };
}

/** Deletes ledger rows older than `retentionDays`; resolves with how many went. */
export async function pruneLedger(db: Database, retentionDays: number, now: Date): Promise<number> {
  const rows = await db.query<{ n: number }>('WITH gone AS (DELETE FROM ccp_ledger WHERE at < $1 RETURNING 1) SELECT count(*)::float8 AS n FROM gone', [new Date(now.getTime() - retentionDays * 86_400_000)]);
  return Number(rows[0]?.n ?? 0);
}
