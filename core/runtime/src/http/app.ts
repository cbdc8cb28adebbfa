import express, { Router, type Express, type Request } from 'express';
import cors from 'cors';
import helmet from 'helmet';
import type { Logger } from '@ccp/plugin-api';
import type { Redis } from 'ioredis';
import type { Authenticator } from '../auth/api-keys';
import { authenticate } from '../auth/middleware';
import type { Planner } from '../calls/plan';
import type { CallRunner } from '../calls/runner';
import type { PlatformConfig } from '../config/schema';
import type { BreakerEngine } from '../engine/decorators/breaker';
import type { BudgetLimit } from '../limits/budget';
import type { ConcurrencyLimit } from '../limits/concurrency';
import type { RequestRateLimit } from '../limits/rate-limits';
import type { Metrics } from '../metrics/metrics';
import type { PluginRegistry } from '../plugins/registry';
import type { SessionService } from '../sessions/session-service';
import { errorHandler, notFound } from './errors';
import { httpMetrics, mountedAt } from './http-metrics';
import { requestId } from './request-id';
import { requestLog } from './request-log';
import { requireUtf8 } from './utf8-body';
import { adminRoutes } from './routes/admin';
import { docsRoutes } from './routes/docs';
import { adminsOnly, healthRoutes, metricsRoute, type HealthCheck } from './routes/health';
import { pluginRoutes } from './routes/plugins';
import { sessionRoutes, sessionStartRoute } from './routes/sessions';

/** The platform version reported in the API description. */
export const PLATFORM_VERSION = '0.1.0';

/** Routes that run a call (an operation, a session's first input, a message): the pipeline counts them. */
function isCallRoute(req: Request): boolean {
  if (req.method !== 'POST') return false;
  if (/^\/sessions\/[^/]+\/messages\/?$/.test(req.path)) return true;
  const session = /^\/plugins\/[^/]+\/sessions\/?$/.test(req.path);
  if (session) return typeof req.body === 'object' && req.body !== null && 'input' in req.body;
  return /^\/plugins\/[^/]+\/[^/]+\/?$/.test(req.path);
}

/** Everything the HTTP surface needs, built by the composition root. */
export interface AppDeps {
  readonly config: PlatformConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly registry: PluginRegistry;
  readonly planner: Planner;
  readonly runner: CallRunner;
  readonly health: Readonly<Record<string, HealthCheck>>;
  readonly sessions: SessionService;
  readonly authenticator: Authenticator;
  readonly limits: { readonly requests: RequestRateLimit; readonly concurrency: ConcurrencyLimit; readonly budget: BudgetLimit };
  readonly redis?: Redis;
  readonly breaker?: BreakerEngine;
}

/**
 * Builds the express app. It does not listen: `Runtime.listen` does, tests use supertest.
 * Public: health, metrics, the API description. Everything under /v1 needs an API key
 * (unless auth is explicitly off) and is rate limited per key.
 */
export function createApp(deps: AppDeps): Express {
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Results of POST calls are never revalidated; hashing every body for an ETag is waste.
  app.set('etag', false);
  app.set('trust proxy', config.server.trustProxy);
  app.use(requestId);
  // One debug line per request: not even a listener when that level is off (the hot path).
  if (config.logging.level === 'debug' || config.logging.level === 'trace') app.use(requestLog(deps.logger));
  app.use(httpMetrics(deps.metrics));
  app.use(helmet());
  if (config.cors.origins.length > 0) {
    app.use(cors({ origin: config.cors.origins.includes('*') ? '*' : [...config.cors.origins], allowedHeaders: ['authorization', 'content-type', 'accept', 'x-request-id'], exposedHeaders: ['x-request-id', 'retry-after', 'ratelimit', 'ratelimit-policy'], maxAge: 600 }));
  }
  app.use(express.json({ limit: config.server.bodyLimitBytes, strict: true, verify: requireUtf8 }));
  app.use('/health', mountedAt('/health'), healthRoutes(deps.health, adminsOnly(deps.authenticator)));
  app.use('/metrics', mountedAt('/metrics'), metricsRoute(deps.metrics));

  const heartbeatMs = config.server.sseHeartbeatMs;
  const v1 = Router();
  // Calls count against the per-key limit in the call pipeline (so a refusal is audited);
  // every other /v1 route counts here, in the same buckets.
  v1.use(authenticate(deps.authenticator), deps.limits.requests.middleware(isCallRoute));
  v1.use('/plugins', mountedAt('/v1/plugins'), sessionStartRoute(deps.sessions), pluginRoutes(deps.registry, deps.planner, deps.runner, heartbeatMs));
  v1.use('/sessions', mountedAt('/v1/sessions'), sessionRoutes(deps.sessions, heartbeatMs));
  v1.use('/admin', mountedAt('/v1/admin'), adminRoutes(config, deps.limits, deps.breaker));
  app.use('/v1', v1);
  // After /v1, so API calls never walk the documentation's routes.
  app.use(docsRoutes(deps.registry, PLATFORM_VERSION));
  app.use(notFound);
  app.use(errorHandler(deps.logger, config.server.bodyLimitBytes));
  return app;
}
