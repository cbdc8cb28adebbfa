import express, { type Express } from 'express';
import cors from 'cors';
import helmet from 'helmet';
import type { Logger } from '@ccp/plugin-api';
import type { Redis } from 'ioredis';
import type { AuditLog } from '../audit/audit-log';
import type { Authenticator } from '../auth/api-keys';
import type { KeyService } from '../auth/key-service';
import type { Database } from '../db/database';
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
import type { BatchService } from '../jobs/batch-service';
import type { JobService } from '../jobs/job-service';
import type { SessionService } from '../sessions/session-service';
import { errorHandler, notFound } from './errors';
import { httpMetrics } from './http-metrics';
import { requestId } from './request-id';
import { requestLog } from './request-log';
import { requireUtf8 } from './utf8-body';
import { openApiDocument } from './api/openapi';
import { mountRoutes } from './api/mount';
import { auditRouteRefusal } from './refused-call';
import type { Route } from './api/route';
import { adminRoutes, type BudgetedKey } from './routes/admin';
import { docsRoutes } from './routes/docs';
import { adminsOnly, healthRoutes, type HealthCheck } from './routes/health';
import { batchRoutes } from './routes/batches';
import { jobResultRoutes } from './routes/job-result';
import { jobRoutes } from './routes/jobs';
import { keyRoutes } from './routes/keys';
import { usageRoutes } from './routes/usage';
import { pluginRoutes } from './routes/plugins';
import { consoleRoutes, loadConsoleAssets, type ConsoleAssets } from './routes/console';
import { sessionRoutes } from './routes/sessions';
import { mcpRoutes } from './mcp/mcp-routes';
import type { McpSessions } from './mcp/mcp-sessions';
import { statusRoutes, type StatusSources } from './routes/status';
import { clientMessage, serverEvent, webSocketRoute } from './websocket';

/** The platform version reported in the API description. */
export const PLATFORM_VERSION = '0.1.0';

/** The document's tags: the platform's groups, then one per plugin (with its version). */
function tagsOf(registry: PluginRegistry) {
  return [
    { name: 'plugins', description: 'What is served, and running operations' },
    { name: 'sessions', description: 'Multi-turn conversations with a plugin' },
    { name: 'jobs', description: 'Operations run in the background: submit, watch, stream, cancel' },
    { name: 'admin', description: 'For keys with the admin role' },
    { name: 'websocket', description: 'Many calls over one socket' },
    { name: 'mcp', description: 'The platform as an MCP server: every operation a key may use is a tool' },
    { name: 'operations', description: 'Health and metrics for load balancers and Prometheus' },
    { name: 'documentation', description: 'This document and its page' },
    ...registry.list().map((p) => ({ name: p.definition.id, description: p.definition.description, 'x-plugin': true, 'x-version': p.definition.version })),
  ];
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
  /** Background jobs (absent: no /v1/jobs routes, Prefer: respond-async is ignored). */
  readonly jobs?: JobService;
  /** Batches of jobs (absent: no /v1/batches routes). */
  readonly batches?: BatchService;
  readonly authenticator: Authenticator;
  readonly limits: { readonly requests: RequestRateLimit; readonly concurrency: ConcurrencyLimit; readonly budget: BudgetLimit };
  readonly redis?: Redis;
  readonly breaker?: BreakerEngine;
  /** API keys made at run time (`/v1/admin/keys`). */
  readonly keys: KeyService;
  /** Every key the budgets view lists (the config file's and the database's). */
  readonly budgetedKeys?: () => readonly BudgetedKey[];
  /** The database of keys and the usage ledger (absent: `/v1/admin/usage` and `/v1/usage` answer 503). */
  readonly database?: Database;
  readonly now: () => Date;
  /** MCP sessions (absent: no /mcp routes, `mcp.enabled: false`). */
  readonly mcp?: McpSessions;
  /** What `GET /v1/status` reads: this instance, the others, the last hour's counts. */
  readonly status: StatusSources;
  /** The audit log (absent: no /v1/admin/audit tail). */
  readonly audit?: AuditLog;
  /** The built web console (absent: read from the @ccp/console package; `null`: none, /console answers 503). */
  readonly console?: ConsoleAssets | null;
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
    app.use(cors({ origin: config.cors.origins.includes('*') ? '*' : [...config.cors.origins], allowedHeaders: ['authorization', 'content-type', 'accept', 'x-request-id', 'prefer', 'idempotency-key', 'last-event-id', 'webhook', 'mcp-session-id', 'mcp-protocol-version'], exposedHeaders: ['x-request-id', 'retry-after', 'ratelimit', 'ratelimit-policy', 'location', 'preference-applied', 'mcp-session-id'], maxAge: 600 }));
  }
  const heartbeatMs = config.server.sseHeartbeatMs;
  const routes: Route[] = [];
  const document = () => (openApi ??= openApiDocument(routes, { version: PLATFORM_VERSION, tags: tagsOf(deps.registry), schemas: { WsClientMessage: clientMessage, WsServerEvent: serverEvent } }));
  let openApi: Record<string, unknown> | undefined;
  routes.push(
    ...healthRoutes(deps.health, adminsOnly(deps.authenticator), deps.metrics),
    ...sessionRoutes(deps.sessions, heartbeatMs),
    ...(deps.jobs ? jobRoutes(deps.jobs, heartbeatMs) : []),
    ...(deps.batches ? batchRoutes(deps.batches) : []),
    ...(deps.jobs ? jobResultRoutes(deps.jobs, deps.registry) : []),
    ...pluginRoutes(deps.registry, deps.planner, deps.runner, heartbeatMs, deps.jobs),
    ...adminRoutes(config, deps.limits, deps.breaker, deps.jobs, deps.budgetedKeys, deps.audit),
    ...keyRoutes(deps.keys),
    ...usageRoutes(deps.database, deps.now),
    ...statusRoutes(deps.status),
    webSocketRoute(),
    ...(deps.mcp ? mcpRoutes(deps.mcp, config.cors.origins) : []),
    // Last, so API calls never walk the documentation's or the console's routes.
    ...docsRoutes(document),
    ...consoleRoutes(deps.console === undefined ? loadConsoleAssets() : (deps.console ?? undefined)),
  );
  // Calls count against the per-key limit in the call pipeline (so a refusal is audited);
  // every other /v1 route counts in the route's middleware, in the same buckets.
  mountRoutes(app, routes, {
    authenticate: authenticate(deps.authenticator),
    perKeyLimit: (skip) => deps.limits.requests.middleware(skip),
    parseJson: express.json({ limit: config.server.bodyLimitBytes, strict: true, verify: requireUtf8 }),
    auditRefusal: auditRouteRefusal(deps.runner, config.server.bodyLimitBytes),
  });
  app.use(notFound);
  app.use(errorHandler(deps.logger, config.server.bodyLimitBytes));
  return app;
}
