import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from '@ccp/plugin-api';
import type { PlatformConfig } from '../config/schema';
import type { OperationInvoker } from '../invoke/invoker';
import type { Metrics } from '../metrics/metrics';
import type { PluginRegistry } from '../plugins/registry';
import { errorHandler, notFound } from './errors';
import { httpMetrics, mountedAt } from './http-metrics';
import { requestId } from './request-id';
import { requestLog } from './request-log';
import { docsRoutes } from './routes/docs';
import { healthRoutes, metricsRoute, type HealthCheck } from './routes/health';
import { pluginRoutes } from './routes/plugins';
import { sessionRoutes, sessionStartRoute } from './routes/sessions';
import type { SessionService } from '../sessions/session-service';
import type { CallerIdentity } from './caller';

/** The platform version reported in the API description. */
export const PLATFORM_VERSION = '0.1.0';

/** Everything the HTTP surface needs, built by the composition root. */
export interface AppDeps {
  readonly config: PlatformConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly registry: PluginRegistry;
  readonly invoker: OperationInvoker;
  readonly health: Readonly<Record<string, HealthCheck>>;
  readonly sessions: SessionService;
  readonly identify: CallerIdentity;
}

/** Builds the express app. It does not listen: `server.ts` does, tests use supertest. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.server.trustProxy);
  app.use(requestId);
  app.use(requestLog(deps.logger));
  app.use(httpMetrics(deps.metrics));
  app.use(helmet());
  app.use(express.json({ limit: deps.config.server.bodyLimitBytes, strict: true }));
  app.use('/health', mountedAt('/health'), healthRoutes(deps.health));
  app.use('/metrics', mountedAt('/metrics'), metricsRoute(deps.metrics));
  const heartbeatMs = deps.config.server.sseHeartbeatMs;
  app.use('/v1/plugins', mountedAt('/v1/plugins'), sessionStartRoute(deps.sessions, deps.identify), pluginRoutes(deps.registry, deps.invoker, heartbeatMs));
  app.use('/v1/sessions', mountedAt('/v1/sessions'), sessionRoutes(deps.sessions, deps.identify, heartbeatMs));
  app.use(docsRoutes(deps.registry, PLATFORM_VERSION));
  app.use(notFound);
  app.use(errorHandler(deps.logger, deps.config.server.bodyLimitBytes));
  return app;
}
