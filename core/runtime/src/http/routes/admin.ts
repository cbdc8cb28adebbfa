import { Router } from 'express';
import { requireAdmin } from '../../auth/middleware';
import type { PlatformConfig } from '../../config/schema';
import type { BreakerEngine } from '../../engine/decorators/breaker';
import type { BudgetLimit } from '../../limits/budget';
import type { ConcurrencyLimit } from '../../limits/concurrency';

/** `/v1/admin` (admin role): circuit breaker state and reset, usage per key. */
export function adminRoutes(config: PlatformConfig, limits: { concurrency: ConcurrencyLimit; budget: BudgetLimit }, breaker: BreakerEngine | undefined): Router {
  const router = Router();
  router.use(requireAdmin);

  router.get('/breaker', (_req, res) => {
    res.json(breaker ? { state: breaker.state, retryAfterSeconds: breaker.state === 'closed' ? 0 : breaker.retryAfterSeconds() } : { state: 'disabled' });
  });

  router.post('/breaker/reset', (_req, res) => {
    breaker?.reset();
    res.json({ state: breaker?.state ?? 'disabled' });
  });

  router.get('/usage', async (_req, res) => {
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
  });

  return router;
}
