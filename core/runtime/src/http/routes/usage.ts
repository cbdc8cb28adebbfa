import { PlatformError, UnavailableError } from '@ccp/plugin-api';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { requireAdmin } from '../../auth/middleware';
import { parseBody } from '../../calls/plan';
import type { Database } from '../../db/database';
import { usageCsv, usageReport, type UsageGroup } from '../../ledger/usage-report';
import { route, type Route } from '../api/route';

const GROUPS = ['key', 'plugin', 'operation', 'day'] as const satisfies readonly UsageGroup[];
const DAY_MS = 86_400_000;

const usageQuery = z
  .strictObject({
    from: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional(),
    to: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional(),
    groupBy: z.enum(GROUPS).default('day'),
    splitBy: z.enum(GROUPS).optional(),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .refine((q) => q.splitBy !== q.groupBy, { path: ['splitBy'], message: 'splitBy must differ from groupBy (leave it out for one grouping)' });

const usageRow = z.object({
  group: z.string().meta({ description: 'The key id, plugin id, plugin/operation, or UTC day (YYYY-MM-DD)' }),
  split: z.string().optional().meta({ description: 'With splitBy: the second group, in the same terms' }),
  keyName: z.string().optional().meta({ description: 'With groupBy=key or splitBy=key: the key’s name' }),
  calls: z.number().int().meta({ description: 'Every call: answered, cache hits, failures, cancelled and refused' }),
  answered: z.number().int().meta({ description: 'Calls that answered (success or a cache hit)' }),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cacheReadInputTokens: z.number().int(),
  cacheCreationInputTokens: z.number().int(),
  costUsd: z.number(),
});

/** A usage report from the ledger. */
export const usageReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    groupBy: z.enum(GROUPS),
    splitBy: z.enum(GROUPS).optional(),
    groups: z.array(usageRow),
    total: usageRow.omit({ group: true, split: true, keyName: true }),
  })
  .meta({ id: 'UsageReport' });

const QUERY_DOC = {
  from: { description: 'Start (inclusive), an ISO 8601 date or date-time; 30 days before `to` when absent', schema: z.string() },
  to: { description: 'End (exclusive), an ISO 8601 date or date-time; now when absent', schema: z.string() },
  groupBy: { description: 'key | plugin | operation | day (UTC); day when absent', schema: z.enum(GROUPS) },
  splitBy: { description: 'A second grouping inside each group, other than groupBy (e.g. groupBy=day&splitBy=plugin): one row per pair, sorted by group then split', schema: z.enum(GROUPS) },
  format: { description: 'json (default) or csv (text/csv, one line per group, or per group and split with splitBy)', schema: z.enum(['json', 'csv']) },
};

function noDatabase(): never {
  throw new UnavailableError('database_unavailable', 'This platform runs without a database (database.enabled: false, or no database.embeddedDir and no DATABASE_URL), so it keeps no usage ledger. GET /v1/admin/budgets shows the live budget counters.');
}

async function answer(db: Database | undefined, now: () => Date, req: Request, res: Response, keyId?: string): Promise<void> {
  if (!db) noDatabase();
  const q = parseBody(usageQuery, req.query, 'the usage query (from, to, groupBy, splitBy, format)');
  // Absent, `to` is just after now, so a call that ended this millisecond is in.
  const to = q.to ? new Date(q.to) : new Date(now().getTime() + 1);
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * DAY_MS);
  const query = { from, to, groupBy: q.groupBy, ...(q.splitBy ? { splitBy: q.splitBy } : {}), ...(keyId ? { keyId } : {}) };
  let groups;
  try {
    groups = await usageReport(db, query);
  } catch (err) {
    if (err instanceof PlatformError) throw err;
    throw new UnavailableError('database_unavailable', 'The usage ledger could not be read. Retry shortly; an operator should check the database and /health/ready.', { retryAfterSeconds: 5 });
  }
  if (q.format === 'csv') {
    res.type('text/csv; charset=utf-8').setHeader('content-disposition', `attachment; filename="usage-${q.groupBy}${q.splitBy ? `-${q.splitBy}` : ''}.csv"`);
    res.send(usageCsv(groups, q.groupBy, q.splitBy));
    return;
  }
  const sum = (f: 'calls' | 'answered' | 'inputTokens' | 'outputTokens' | 'cacheReadInputTokens' | 'cacheCreationInputTokens' | 'costUsd') => groups.reduce((n, g) => n + g[f], 0);
  res.json({
    from: from.toISOString(), to: to.toISOString(), groupBy: q.groupBy, ...(q.splitBy ? { splitBy: q.splitBy } : {}), groups,
    total: {
      calls: sum('calls'), answered: sum('answered'), inputTokens: sum('inputTokens'), outputTokens: sum('outputTokens'),
      cacheReadInputTokens: sum('cacheReadInputTokens'), cacheCreationInputTokens: sum('cacheCreationInputTokens'), costUsd: Math.round(sum('costUsd') * 1e6) / 1e6,
    },
  });
}

/** `GET /v1/admin/usage` (every key) and `GET /v1/usage` (the caller's own), answered from the ledger. */
export function usageRoutes(db: Database | undefined, now: () => Date): Route[] {
  const responses = { 200: { description: 'Usage by group, with the total', json: usageReportSchema, alternatives: [{ mediaType: 'text/csv', schema: z.string() }] } };
  return [
    route({
      method: 'get',
      path: '/v1/admin/usage',
      operationId: 'getUsage',
      summary: 'Usage of every key from the ledger: calls, tokens and cost by key, plugin, operation or day',
      description: 'One row per call is kept in the ledger (cache hits, failures, cancelled and refused calls included, at their settled spend), written within database.ledger.flushMs (1 s) of the call ending.',
      tags: ['admin'],
      query: QUERY_DOC,
      responses,
      problems: [400, 403, 503],
      handlers: [requireAdmin, (req, res) => answer(db, now, req, res)],
    }),
    route({
      method: 'get',
      path: '/v1/usage',
      operationId: 'getOwnUsage',
      summary: "The caller's own usage from the ledger",
      tags: ['plugins'],
      query: QUERY_DOC,
      responses,
      problems: [400, 503],
      handlers: [(req, res) => answer(db, now, req, res, req.caller.id ?? `file:${req.caller.name}`)],
    }),
  ];
}
