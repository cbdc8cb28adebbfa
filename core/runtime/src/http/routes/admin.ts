import { requireAdmin } from '../../auth/middleware';
import type { PlatformConfig } from '../../config/schema';
import type { BreakerEngine } from '../../engine/decorators/breaker';
import type { BudgetLimit } from '../../limits/budget';
import type { ConcurrencyLimit } from '../../limits/concurrency';
import { route, type Route } from '../api/route';
import { breakerSchema, keyUsageSchema } from '../api/schemas';

/** `/v1/admin` (admin role): circuit breaker state and reset, usage per key. */
export function adminRoutes(config: PlatformConfig, limits: { concurrency: ConcurrencyLimit; budget: BudgetLimit }, breaker: BreakerEngine | undefined): Route[] {
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
      path: '/v1/admin/usage',
      operationId: 'getUsage',
      summary: 'Per configured key: queries running, spend today and this month, against its budget',
      tags: ['admin'],
      responses: { 200: { description: 'Usage per key', json: keyUsageSchema } },
      problems: [403],
      handlers: [
        requireAdmin,
        async (_req, res) => {
          const keys = await Promise.all(
            config.auth.keys.map(async (k) => ({
              name: k.name,
              roles: k.roles,
              plugins: k.plugins,
              budget: k.budget ?? null,
              inFlight: await limits.concurrency.inFlight(k.name),
              ...(await limits.budget.spentBy(k.name)),
            })),
          );
          res.json({ keys });
        },
      ],
    }),
  ];
}
