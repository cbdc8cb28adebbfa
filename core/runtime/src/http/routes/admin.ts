import { z } from 'zod';
import type { Caller } from '../../auth/caller';
import type { AuditLog } from '../../audit/audit-log';
import { parseBody } from '../../calls/plan';
import { requireAdmin } from '../../auth/middleware';
import type { PlatformConfig } from '../../config/schema';
import type { BreakerEngine } from '../../engine/decorators/breaker';
import type { JobService } from '../../jobs/job-service';
import type { BudgetLimit } from '../../limits/budget';
import type { ConcurrencyLimit } from '../../limits/concurrency';
import { route, type Route } from '../api/route';
import { breakerSchema, keyUsageSchema } from '../api/schemas';
import { deliveriesSchema } from './jobs';

/** A key as the budgets view lists it. */
export type BudgetedKey = Pick<Caller, 'name' | 'roles' | 'plugins'> & { readonly budget?: Caller['budget'] | null };

const auditLine = z.object({
  at: z.string(), requestId: z.string(), key: z.string(), plugin: z.string(), operation: z.string(), transport: z.string(), outcome: z.string(),
  inputTokens: z.number().int(), outputTokens: z.number().int(), costUsd: z.number(), durationMs: z.number().int(),
  sessionId: z.string().optional(), cacheReadInputTokens: z.number().int().optional(), cacheCreationInputTokens: z.number().int().optional(), spendBasis: z.string().optional(),
});

const auditQuery = z.strictObject({
  key: z.string().min(1).max(200).optional(),
  plugin: z.string().min(1).max(200).optional(),
  outcome: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/**
 * `/v1/admin` (admin role): circuit breaker state and reset, live budgets per key, the audit
 * tail, webhook redelivery. `keys` gives every key (the config file's and the database's);
 * the config file's alone when absent.
 */
export function adminRoutes(config: PlatformConfig, limits: { concurrency: ConcurrencyLimit; budget: BudgetLimit }, breaker: BreakerEngine | undefined, jobs?: JobService, keys?: () => readonly BudgetedKey[], audit?: AuditLog): Route[] {
  const state = () => (breaker ? { state: breaker.state, retryAfterSeconds: breaker.state === 'closed' ? 0 : breaker.retryAfterSeconds() } : { state: 'disabled' as const });
  return [
    route({
      method: 'get',
      path: '/v1/admin/breaker',
      operationId: 'getBreaker',
      summary: "The agent engine's circuit breaker: state and seconds until a trial query",
      tags: ['admin'],
      responses: { 200: { description: 'The breaker', json: breakerSchema } },
      problems: [403],
      handlers: [requireAdmin, (_req, res) => void res.json(state())],
    }),
    route({
      method: 'post',
      path: '/v1/admin/breaker/reset',
      operationId: 'resetBreaker',
      summary: 'Close the breaker by hand (the upstream is known to be healthy again)',
      tags: ['admin'],
      responses: { 200: { description: 'The breaker after the reset', json: breakerSchema } },
      problems: [403],
      handlers: [
        requireAdmin,
        (_req, res) => {
          breaker?.reset();
          res.json({ state: breaker?.state ?? 'disabled' });
        },
      ],
    }),
    route({
      method: 'get',
      path: '/v1/admin/budgets',
      operationId: 'getBudgets',
      summary: 'Per key: queries running, spend today and this month (the live counters), against its budget',
      description: 'Revoked keys are left out. GET /v1/admin/usage answers from the ledger, for any period.',
      tags: ['admin'],
      responses: { 200: { description: 'Budgets per key', json: keyUsageSchema } },
      problems: [403],
      handlers: [
        requireAdmin,
        async (_req, res) => {
          const listed = await Promise.all(
            (keys?.() ?? config.auth.keys).map(async (k) => ({
              name: k.name,
              roles: k.roles,
              plugins: k.plugins,
              budget: k.budget ?? null,
              inFlight: await limits.concurrency.inFlight(k.name),
              ...(await limits.budget.spentBy(k.name)),
            })),
          );
          res.json({ keys: listed });
        },
      ],
    }),
    ...(audit
      ? [
          route({
            method: 'get',
            path: '/v1/admin/audit',
            operationId: 'getAuditTail',
            summary: 'The last audit lines this instance wrote (at most 1000 kept in memory), newest first, filtered',
            description: 'Every call writes one audit line (to stdout, and to audit.file when set); this is the tail of this instance only. Filters match exactly.',
            tags: ['admin'],
            query: {
              key: { description: 'Only calls of this key name', schema: z.string() },
              plugin: { description: 'Only calls of this plugin', schema: z.string() },
              outcome: { description: 'Only this outcome: success, or an error code', schema: z.string() },
              limit: { description: 'Lines to return (1-1000, default 100)', schema: z.number().int().min(1).max(1000) },
            },
            responses: { 200: { description: 'The lines', json: z.object({ entries: z.array(auditLine) }) } },
            problems: [400, 403],
            handlers: [
              requireAdmin,
              (req, res) => {
                const q = parseBody(auditQuery, req.query, 'the audit query (key, plugin, outcome, limit)');
                res.json({ entries: audit.recent(q) });
              },
            ],
          }),
        ]
      : []),
    ...(jobs
      ? [
          route({
            method: 'post',
            path: '/v1/admin/jobs/:jobId/redeliver',
            operationId: 'redeliverJobWebhook',
            summary: "Deliver a finished job's webhook again (any key's job)",
            description: 'Makes one attempt now, with the same webhook-id as before (a receiver drops a repeat it already took), and answers with every attempt once it is recorded; if it fails, retries follow on the usual schedule. The URL must still be under jobs.webhooks.allowedUrls.',
            tags: ['admin'],
            params: { jobId: 'The job id' },
            responses: { 200: { description: "The job's deliveries, the new attempt last", json: deliveriesSchema } },
            problems: [403, 404, 409],
            handlers: [requireAdmin, async (req, res) => void res.json(await jobs.redeliver(String(req.params.jobId)))],
          }),
          route({
            method: 'delete',
            path: '/v1/admin/keys/:keyName/jobs',
            operationId: 'purgeKeyJobs',
            summary: "Delete every stored job of a key (its unfinished ones are cancelled first)",
            description: "Removes each job's input, result, events and deliveries, whatever its age (retention deletes them after jobs.retentionMs anyway). Answers how many went.",
            tags: ['admin'],
            params: { keyName: 'The name of the API key (auth.keys[].name)' },
            responses: { 200: { description: 'How many jobs were deleted', json: z.object({ key: z.string(), deleted: z.number().int() }) } },
            problems: [403],
            handlers: [requireAdmin, async (req, res) => void res.json({ key: String(req.params.keyName), deleted: await jobs.purge(String(req.params.keyName)) })],
          }),
        ]
      : []),
  ];
}
