import { z } from 'zod';
import type { Caller } from '../../auth/caller';
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

/**
 * `/v1/admin` (admin role): circuit breaker state and reset, live budgets per key, webhook
 * redelivery. `keys` gives every key (the config file's and the database's); the config
 * file's alone when absent.
 */
export function adminRoutes(config: PlatformConfig, limits: { concurrency: ConcurrencyLimit; budget: BudgetLimit }, breaker: BreakerEngine | undefined, jobs?: JobService, keys?: () => readonly BudgetedKey[]): Route[] {
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
