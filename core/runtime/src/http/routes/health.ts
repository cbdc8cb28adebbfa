import type { IncomingHttpHeaders } from 'node:http';
import type { Authenticator } from '../../auth/api-keys';
import type { Metrics } from '../../metrics/metrics';
import { z } from 'zod';
import { route, type Route } from '../api/route';
import { readinessSchema } from '../api/schemas';

/** One component's state in `/health/ready`. */
export interface ComponentHealth {
  readonly status: 'ok' | 'degraded' | 'down';
  readonly detail?: string;
  readonly [key: string]: unknown;
}

/** Something that reports a component's health; all of them decide readiness together. */
export type HealthCheck = () => ComponentHealth;

/** Whether a request may see the components' detail; the Authenticator's view of its key. */
export type MaySeeDetail = (headers: IncomingHttpHeaders) => boolean;

/** Detail for a valid admin key (everyone while authentication is off), for nobody else. */
export function adminsOnly(authenticator: Authenticator): MaySeeDetail {
  return (headers) => {
    try {
      return authenticator.authenticate(headers).roles.includes('admin');
    } catch {
      return false; // a probe without a key, or with a wrong one, still gets the status
    }
  };
}

/**
 * `/health/live` answers while the process runs. `/health/ready` is 503 while any component
 * is `down`: no credentials, Redis unreachable, draining, the circuit breaker open (this
 * instance cannot run a query until it half-opens; half-open is `degraded`, so the trial
 * query reaches it), or the audit file failing with `audit.onFailure: refuse`. A
 * `degraded` component (authentication off, a half-open breaker, a failing audit file
 * with `audit.onFailure: continue`) keeps it at 200.
 * The body names each component and its status; its detail (key counts, plugin ids,
 * the credential kind, the reasons) is shown only to a valid admin API key, or to
 * everyone while authentication is off.
 */
export function healthRoutes(checks: Readonly<Record<string, HealthCheck>>, maySeeDetail: MaySeeDetail, metrics: Metrics): Route[] {
  return [
    route({
      method: 'get',
      path: '/health/live',
      public: true,
      operationId: 'live',
      summary: 'Liveness: 200 while the process runs',
      tags: ['operations'],
      responses: { 200: { description: 'The process runs', json: z.object({ status: z.literal('ok') }) } },
      handlers: [(_req, res) => void res.json({ status: 'ok' })],
    }),
    route({
      method: 'get',
      path: '/health/ready',
      public: true,
      operationId: 'ready',
      summary: 'Readiness by component; the detail only for an admin key',
      tags: ['operations'],
      responses: { 200: { description: 'Ready, or degraded', json: readinessSchema }, 503: { description: 'A component is down (draining, no credentials, Redis, an open breaker, the audit file under onFailure: refuse)', json: readinessSchema } },
      handlers: [
        (req, res) => {
          const components = Object.fromEntries(Object.entries(checks).map(([name, check]) => [name, check()]));
          const states = Object.values(components).map((c) => c.status);
          const status = states.includes('down') ? 'not_ready' : states.includes('degraded') ? 'degraded' : 'ready';
          const shown = maySeeDetail(req.headers) ? components : Object.fromEntries(Object.entries(components).map(([name, c]) => [name, { status: c.status }]));
          res.status(status === 'not_ready' ? 503 : 200).json({ status, components: shown });
        },
      ],
    }),
    route({
      method: 'get',
      path: '/metrics',
      public: true,
      operationId: 'metrics',
      summary: 'Prometheus metrics (text exposition format)',
      tags: ['operations'],
      responses: { 200: { description: 'The metrics', other: { mediaType: 'text/plain', schema: z.string() } } },
      handlers: [async (_req, res) => void res.type(metrics.registry.contentType).send(await metrics.registry.metrics())],
    }),
  ];
}
