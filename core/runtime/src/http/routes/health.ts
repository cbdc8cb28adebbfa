import { Router } from 'express';
import type { Metrics } from '../../metrics/metrics';

/** One component's state in `/health/ready`. */
export interface ComponentHealth {
  readonly status: 'ok' | 'degraded' | 'down';
  readonly detail?: string;
  readonly [key: string]: unknown;
}

/** Something that reports a component's health; all of them decide readiness together. */
export type HealthCheck = () => ComponentHealth;

/**
 * `/health/live` answers while the process runs; `/health/ready` lists each component
 * and is 503 while any is `down` (a `degraded` one, such as an open breaker, keeps the
 * instance in rotation: every replica shares the upstream, so pulling them all helps nobody).
 */
export function healthRoutes(checks: Readonly<Record<string, HealthCheck>>): Router {
  const router = Router();
  router.get('/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/ready', (_req, res) => {
    const components = Object.fromEntries(Object.entries(checks).map(([name, check]) => [name, check()]));
    const states = Object.values(components).map((c) => c.status);
    const status = states.includes('down') ? 'not_ready' : states.includes('degraded') ? 'degraded' : 'ready';
    res.status(status === 'not_ready' ? 503 : 200).json({ status, components });
  });
  return router;
}

/** `GET /metrics` in the Prometheus text format. */
export function metricsRoute(metrics: Metrics): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
