import 'reflect-metadata';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { LOGGER, type Logger, type PluginDefinition, type Token } from '@ccp/plugin-api';
import type { Express } from 'express';
import pino from 'pino';
import { instanceCachingFactory, container as rootContainer, type DependencyContainer } from 'tsyringe';
import { createAuditLog } from './audit/audit-log';
import { Authenticator } from './auth/api-keys';
import { Planner } from './calls/plan';
import type { Stage } from './calls/pipeline';
import { CallRunner } from './calls/runner';
import { auditStage } from './calls/stages/audit';
import { rateLimitStage } from './calls/stages/rate-limit';
import { reserveStage } from './calls/stages/reserve';
import { resolveSourceStage } from './calls/stages/resolve-source';
import { responseCacheStage } from './calls/stages/response-cache';
import { runEngineStage } from './calls/stages/run-engine';
import { sessionTurnStage } from './calls/stages/session-turn';
import { ConfigError } from './config/load-config';
import type { PlatformConfig, Secrets } from './config/schema';
import { createAgentEngine, loadSdk } from './engine/agent-sdk';
import { decorate } from './engine/decorate';
import { anthropicMessagesApi } from './engine/messages/messages-api';
import { DEFAULT_MESSAGES_MODEL, MessagesEngine, messagesEngineProblems } from './engine/messages/messages-engine';
import { EngineRouter } from './engine/router';
import { healthChecks } from './health-checks';
import { createApp } from './http/app';
import { webSocketEndpoint, type UpgradeHandler } from './http/websocket';
import { BullmqJobQueue, MIN_LOCK_MS } from './jobs/bullmq-queue';
import { InProcessQueue, jobConcurrency } from './jobs/in-process-queue';
import type { JobQueue } from './jobs/job-queue';
import { JobService } from './jobs/job-service';
import { MemoryJobStore } from './jobs/memory-job-store';
import { RedisJobStore } from './jobs/redis-job-store';
import { SigningKeys, webhookSecretProblems } from './jobs/webhooks/signing-keys';
import { WebhookDispatcher } from './jobs/webhooks/webhook-dispatcher';
import { batchWebhookSource, jobWebhookSource } from './jobs/webhooks/webhook-source';
import { BatchService } from './jobs/batch-service';
import { MemoryBatchStore } from './jobs/memory-batch-store';
import { RedisBatchStore } from './jobs/redis-batch-store';
import { WebhookPolicy } from './jobs/webhooks/webhook-policy';
import { Lifecycle } from './lifecycle/lifecycle';
import { BudgetLimit } from './limits/budget';
import { checkPluginIds } from './limits/check-plugin-ids';
import { deriveCapacity, type Capacity } from './limits/capacity';
import { ConcurrencyLimit } from './limits/concurrency';
import { PluginRateLimit, RequestRateLimit } from './limits/rate-limits';
import { createLogger } from './logging/logger';
import { Metrics } from './metrics/metrics';
import { buildRegistry } from './plugins/build-registry';
import type { PluginRegistry } from './plugins/registry';
import { SessionService } from './sessions/session-service';
import { MemoryCacheStore, RedisCacheStore } from './state/cache-store';
import { ExecGitRunner } from './sources/git-runner';
import { createSources } from './sources/sources';
import { createSharedState, type SharedState } from './state/shared-state';
import {
  AGENT_DECORATED, AGENT_ENGINE, AGENT_SDK, APP, AUDIT_LOG, AUTHENTICATOR, BUDGET_LIMIT, CACHE_STORE, CALL_RUNNER, CAPACITY, CLOCK, CONCURRENCY_LIMIT, CONFIG, ENGINE_ROUTER, MESSAGES_ENGINE,
  BATCH_STORE, BATCH_WEBHOOKS, BATCHES, GIT_RUNNER, HEALTH_CHECKS, JOBS, JOB_QUEUE, JOB_STORE, LIFECYCLE, METRICS, PLANNER, PLUGIN_RATE_LIMIT, PLUGIN_REGISTRY, REQUEST_RATE_LIMIT, SECRETS, SESSIONS, SHARED_STATE, SOURCES, WEBHOOKS, type Override,
} from './tokens';

/** What a caller of {@link createRuntime} gives; everything else is built here. */
export interface RuntimeOptions {
  readonly config: PlatformConfig;
  readonly secrets: Secrets;
  /** The built-in plugins (named by the server package: the runtime names none). */
  readonly builtins: readonly PluginDefinition[];
  /** Directory that relative plugin module paths resolve against. */
  readonly baseDir?: string;
  /** Where log lines go (stdout when absent); they are scrubbed of secrets either way. */
  readonly logDestination?: pino.DestinationStream;
  /** The environment the `claude` child's allowlist is picked from. */
  readonly env?: NodeJS.ProcessEnv;
  /** Services given instead of the built ones, one token each (tests: the SDK, the agent engine, a store, the clock). */
  readonly overrides?: readonly Override[];
  /**
   * State and metrics to carry over from a runtime this one replaces (a config reload):
   * sessions, limits and budgets continue, and counters keep counting.
   */
  readonly shared?: { readonly state: SharedState; readonly metrics: Metrics };
}

/** How long boot waits for the shared state store to answer. */
const STATE_READY_WAIT_MS = 5_000;

/** An HTTP server for a runtime's app and WebSocket endpoint, with the configured timeouts. */
export function createPlatformServer(config: PlatformConfig, app: (req: IncomingMessage, res: ServerResponse) => void, upgrade: UpgradeHandler): Server {
  // Node checks the two timeouts only every connectionsCheckingInterval (30 s by default), so a
  // slow-headers client held a socket for up to 30 s past them; check every second.
  const server = createServer(
    { requestTimeout: config.server.requestTimeoutMs, headersTimeout: Math.min(config.server.requestTimeoutMs, 20_000), connectionsCheckingInterval: 1_000 },
    app,
  );
  server.on('upgrade', upgrade);
  return server;
}

/** A composed platform. */
export interface Runtime {
  readonly app: Express;
  /** The WebSocket endpoint, for a server's 'upgrade' event. */
  readonly upgrade: UpgradeHandler;
  /** What a replacing runtime carries over (see RuntimeOptions.shared). */
  readonly state: SharedState;
  /** Listens on a port with the app and the WebSocket endpoint (`/v1/ws`) attached. */
  listen(port: number, host: string): Promise<Server>;
  readonly config: PlatformConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly registry: PluginRegistry;
  readonly lifecycle: Lifecycle;
  /**
   * Stops taking new work at once (readiness 503, new calls 503 shutting_down), lets the
   * calls in flight finish for up to `graceMs`, ends the rest, then runs the shutdown hooks.
   */
  drain(graceMs: number): Promise<void>;
  /** Ends every call in flight at once, then runs the shutdown hooks. */
  dispose(): Promise<void>;
}

/** Thrown when the container lacks registrations, or a plugin needs what is not there; names all of them. */
export class MissingDependenciesError extends Error {
  override readonly name = 'MissingDependenciesError';
  constructor(readonly missing: readonly string[]) {
    super(`the runtime cannot serve:\n  - ${missing.join('\n  - ')}`);
  }
}

const resolve = <T>(c: DependencyContainer, t: Token<T>): T => c.resolve<T>(t);
/** Each service is built once per runtime (tsyringe's plain useFactory builds anew on every resolve). */
const once = <T>(c: DependencyContainer, t: Token<T>, build: (k: DependencyContainer) => T) => c.register(t, { useFactory: instanceCachingFactory(build) });

/** Logs how the instance's limits were derived and exports them (`ccp_admission_limit{kind}`). */
function reportCapacity(capacity: Capacity, config: PlatformConfig, logger: Logger, metrics: Metrics): void {
  metrics.admissionLimit.set({ kind: 'in_flight' }, capacity.inFlight);
  metrics.admissionLimit.set({ kind: 'starting' }, capacity.starting);
  metrics.admissionLimit.set({ kind: 'pool_processes' }, config.pool.enabled ? capacity.poolProcesses : 0);
  logger.info(
    { ...capacity, pool: config.pool.enabled, maxQueueWaitMs: config.admission.maxQueueWaitMs },
    `capacity: ${capacity.inFlight} calls in flight${capacity.derived.inFlight ? ` ((${capacity.basis.freeMemoryMb} MiB free − ${capacity.basis.memoryReserveMb} reserved) / ${capacity.basis.processMemoryMb} MiB per process)` : ' (admission.maxConcurrent)'}, ${capacity.starting} starting at once${capacity.derived.starting ? ` (one per CPU)` : ' (admission.maxStarting)'}, pool ${config.pool.enabled ? `up to ${capacity.poolProcesses} processes` : 'off'}`,
  );
}

/** The order every call takes (see docs/architecture.md). */
function callStages(k: DependencyContainer): Stage[] {
  const config = resolve(k, CONFIG);
  const state = resolve(k, SHARED_STATE);
  const logger = resolve(k, LOGGER);
  return [
    auditStage(resolve(k, AUDIT_LOG), resolve(k, METRICS)),
    rateLimitStage([resolve(k, REQUEST_RATE_LIMIT), resolve(k, PLUGIN_RATE_LIMIT)]),
    sessionTurnStage(state.sessions, state.transcripts, config.sessions),
    resolveSourceStage(resolve(k, SOURCES).resolver),
    responseCacheStage(resolve(k, CACHE_STORE), config.cache, resolve(k, METRICS), logger),
    reserveStage([resolve(k, CONCURRENCY_LIMIT), resolve(k, BUDGET_LIMIT)], logger),
    runEngineStage(resolve(k, ENGINE_ROUTER), logger),
  ];
}

/**
 * The composition root: the only place that touches the tsyringe container, with one shape
 * for production and tests (a test overrides a single service by its token; the real chain
 * around it is always built). Each runtime gets its own child container, so several can live
 * in one process (tests, replicas, a reload).
 */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config, secrets } = options;
  // Before anything is built: a bad secret stops the boot with every problem, naming no secret.
  const secretProblems = webhookSecretProblems(config, secrets);
  if (secretProblems.length > 0) throw new ConfigError('webhook secrets', secretProblems);
  const c = rootContainer.createChildContainer();
  const given = new Map<symbol, unknown>((options.overrides ?? []).map((o) => [o.token, o.value]));
  const webhookSecrets = [...(secrets.webhookSecrets ?? []), ...Object.values(secrets.keyWebhookSecrets ?? {}).flat()];
  const logSecrets = { values: [secrets.anthropicApiKey, secrets.claudeOauthToken, secrets.redisUrl, ...webhookSecrets], patterns: config.logging.redactPatterns };
  const logger = createLogger(config.logging.level, logSecrets, options.logDestination);
  const lifecycle = new Lifecycle(logger);
  const state = options.shared?.state ?? createSharedState(secrets.redisUrl, config.sessions.ttlMs);
  // Commands fail fast while the store is away (no offline queue): wait for it before serving,
  // boundedly, so the first calls after boot are not refused; a store still away is reported.
  if (!(await state.ready(STATE_READY_WAIT_MS))) logger.warn({}, `the shared state store (Redis) did not answer within ${STATE_READY_WAIT_MS / 1000} s; calls get 503 shared_state_unavailable until it does (see /health/ready)`);
  // Hooks run newest first: the agent engine (registered last) ends every process before
  // the sockets, the container and the shared state go.
  if (!options.shared) lifecycle.addShutdownHook('shared state', () => state.close()); // borrowed state belongs to whoever made it
  lifecycle.addShutdownHook('container', () => c.dispose());
  // Bounded: a disk that does not answer cannot hold up shutdown.
  lifecycle.addShutdownHook('audit log', () => resolve(c, AUDIT_LOG).close());

  c.register(CONFIG, { useValue: config });
  c.register(SECRETS, { useValue: secrets });
  c.register(LOGGER, { useValue: logger });
  c.register(LIFECYCLE, { useValue: lifecycle });
  c.register(METRICS, { useValue: options.shared?.metrics ?? new Metrics() });
  c.register(CLOCK, { useValue: () => new Date() });
  c.register(SHARED_STATE, { useValue: state });
  once(c, PLUGIN_REGISTRY, () => buildRegistry(config, options.builtins, options.baseDir ?? process.cwd()));
  once(c, CACHE_STORE, () => (config.cache.enabled ? (state.redis ? new RedisCacheStore(state.redis) : new MemoryCacheStore(config.cache.maxEntries)) : undefined));
  once(c, AUTHENTICATOR, () => new Authenticator(config.auth));
  // A failing audit file is logged, counted and reported by readiness; it never blocks a call.
  once(c, AUDIT_LOG, (k) => createAuditLog(config.audit, { logger, metrics: resolve(k, METRICS), secrets: logSecrets, stdout: options.logDestination }));
  once(c, REQUEST_RATE_LIMIT, () => new RequestRateLimit(config.rateLimits, state.redis));
  once(c, PLUGIN_RATE_LIMIT, () => new PluginRateLimit(config.rateLimits, state.redis));
  once(c, CONCURRENCY_LIMIT, () => new ConcurrencyLimit(state.counters, config));
  once(c, BUDGET_LIMIT, (k) => new BudgetLimit(state.counters, config, resolve(k, CLOCK)));
  once(c, CAPACITY, () => deriveCapacity(config));
  once(c, AGENT_DECORATED, (k) => decorate(resolve(k, AGENT_ENGINE), config, resolve(k, CAPACITY).inFlight, resolve(k, METRICS)));
  once(c, MESSAGES_ENGINE, () => new MessagesEngine({ api: anthropicMessagesApi(secrets, config.claude.maxRetries), defaultModel: config.claude.model ?? DEFAULT_MESSAGES_MODEL, maxTokens: 8192, pricing: config.pricing, transcripts: state.transcripts }));
  // Engines by name: an engine is a folder under engine/ and one line here. Each gets the
  // same decorators; the messages engine starts no process, so memory bounds it less.
  once(c, ENGINE_ROUTER, (k) =>
    new EngineRouter(
      { agent: resolve(k, AGENT_DECORATED).engine, messages: decorate(resolve(k, MESSAGES_ENGINE), config, resolve(k, CAPACITY).inFlight * 4, resolve(k, METRICS)).engine },
      { messages: messagesEngineProblems },
    ),
  );
  once(c, GIT_RUNNER, () => new ExecGitRunner(options.env ?? process.env));
  once(c, SOURCES, (k) => createSources(config, resolve(k, GIT_RUNNER), options.env ?? process.env, logger, resolve(k, METRICS)));
  once(c, PLANNER, (k) => new Planner(resolve(k, PLUGIN_REGISTRY), secrets, state.sessions, config.sessions, Date.now, resolve(k, SOURCES).resolver));
  once(c, CALL_RUNNER, (k) => new CallRunner(resolve(k, PLANNER), lifecycle, callStages(k), resolve(k, AUDIT_LOG), resolve(k, BUDGET_LIMIT), config.pricing, resolve(k, REQUEST_RATE_LIMIT)));
  once(c, SESSIONS, (k) => new SessionService(resolve(k, CALL_RUNNER), resolve(k, PLANNER), lifecycle, state.sessions, config.sessions));
  // Jobs: a store and a queue by token. With Redis, the Redis store and the BullMQ queue, shared by
  // every replica; without, this instance's memory and an in-process queue (lost on restart).
  once(c, JOB_STORE, (k) => (state.redis ? new RedisJobStore(state.redis, { retentionMs: config.jobs.retentionMs }) : new MemoryJobStore(() => resolve(k, CLOCK)().getTime())));
  once(c, JOB_QUEUE, (k): JobQueue => {
    // One capacity budget: the same share of in-flight calls either way, and every job still passes admission.
    const concurrency = jobConcurrency(config.jobs.concurrency, resolve(k, CAPACITY).inFlight);
    const accepting = () => !lifecycle.draining;
    if (!state.redis || !state.redisUrl) return new InProcessQueue({ concurrency, accepting, onError: (err, jobId) => logger.error({ err, jobId }, 'job failed outside its call') });
    // A job is taken from an instance that stopped renewing its lock for the drain time.
    const queue = new BullmqJobQueue({ url: state.redisUrl, redis: state.redis, concurrency, lockMs: Math.max(MIN_LOCK_MS, config.server.shutdownGraceMs), accepting, logger });
    lifecycle.onDraining(() => void queue.pause().catch((err: unknown) => logger.warn({ err }, 'job worker did not pause')));
    return queue;
  });
  const webhookPolicy = new WebhookPolicy(config.jobs.webhooks.allowedUrls);
  once(c, WEBHOOKS, (k) => new WebhookDispatcher({
    source: jobWebhookSource(resolve(k, JOB_STORE)), policy: webhookPolicy, signing: SigningKeys.from(secrets), options: config.jobs.webhooks, metrics: resolve(k, METRICS), logger, now: () => resolve(k, CLOCK)().getTime(),
  }));
  once(c, JOBS, (k) => new JobService({
    store: resolve(k, JOB_STORE), queue: resolve(k, JOB_QUEUE), runner: resolve(k, CALL_RUNNER), planner: resolve(k, PLANNER), lifecycle, rateLimits: [resolve(k, REQUEST_RATE_LIMIT), resolve(k, PLUGIN_RATE_LIMIT)],
    budget: resolve(k, BUDGET_LIMIT), audit: resolve(k, AUDIT_LOG), webhooks: { policy: webhookPolicy, dispatcher: resolve(k, WEBHOOKS) }, config, logger, metrics: resolve(k, METRICS), now: () => resolve(k, CLOCK)().getTime(),
  }));
  // Batches live where their jobs do: one replica ends a batch whose last job ended on another.
  once(c, BATCH_STORE, () => (state.redis ? new RedisBatchStore(state.redis, { retentionMs: config.jobs.retentionMs }) : new MemoryBatchStore()));
  once(c, BATCH_WEBHOOKS, (k) => new WebhookDispatcher({
    source: batchWebhookSource(resolve(k, BATCH_STORE), resolve(k, JOB_STORE)), policy: webhookPolicy, signing: SigningKeys.from(secrets), options: config.jobs.webhooks, metrics: resolve(k, METRICS), logger, now: () => resolve(k, CLOCK)().getTime(),
  }));
  once(c, BATCHES, (k) => new BatchService({
    batches: resolve(k, BATCH_STORE), jobs: resolve(k, JOBS), jobStore: resolve(k, JOB_STORE), queue: resolve(k, JOB_QUEUE), planner: resolve(k, PLANNER), lifecycle,
    rateLimits: [resolve(k, REQUEST_RATE_LIMIT), resolve(k, PLUGIN_RATE_LIMIT)], budget: resolve(k, BUDGET_LIMIT), audit: resolve(k, AUDIT_LOG),
    webhooks: { policy: webhookPolicy, dispatcher: resolve(k, BATCH_WEBHOOKS) }, config, logger, metrics: resolve(k, METRICS), now: () => resolve(k, CLOCK)().getTime(),
  }));
  once(c, HEALTH_CHECKS, (k) => healthChecks(config, secrets, resolve(k, PLUGIN_REGISTRY), state, lifecycle, resolve(k, AGENT_DECORATED).breaker, resolve(k, AUDIT_LOG)));
  once(c, APP, (k) =>
    createApp({
      config, logger, metrics: resolve(k, METRICS), registry: resolve(k, PLUGIN_REGISTRY), planner: resolve(k, PLANNER), runner: resolve(k, CALL_RUNNER), health: resolve(k, HEALTH_CHECKS),
      sessions: resolve(k, SESSIONS), jobs: resolve(k, JOBS), batches: resolve(k, BATCHES), authenticator: resolve(k, AUTHENTICATOR), redis: state.redis, breaker: resolve(k, AGENT_DECORATED).breaker, audit: resolve(k, AUDIT_LOG),
      limits: { requests: resolve(k, REQUEST_RATE_LIMIT), concurrency: resolve(k, CONCURRENCY_LIMIT), budget: resolve(k, BUDGET_LIMIT) },
    }),
  );
  for (const [t, value] of given) c.register(t, { useValue: value });

  const capacity = resolve(c, CAPACITY);
  reportCapacity(capacity, config, logger, resolve(c, METRICS));
  // Boot checks, all problems at once: plugin ids in limits and keys, then each plugin's engine.
  const registry = resolve(c, PLUGIN_REGISTRY);
  const ids = checkPluginIds(config, registry);
  for (const warning of ids.disabled) logger.warn({}, `config names a disabled plugin: ${warning}`);
  if (ids.unknown.length > 0) throw new ConfigError('plugin ids in limits, budgets and keys', ids.unknown);
  await resolve(c, SOURCES).check();
  lifecycle.addShutdownHook('git commands', () => (resolve(c, GIT_RUNNER) as { close?: () => void }).close?.());
  if (!c.isRegistered(AGENT_ENGINE)) {
    const sdk = given.has(AGENT_SDK) ? resolve(c, AGENT_SDK) : await loadSdk();
    const agent = await createAgentEngine({
      sdk, config, secrets, env: options.env ?? process.env, logger, metrics: resolve(c, METRICS), sessionStore: state.transcripts, capacity, materialiser: resolve(c, SOURCES).materialiser,
    });
    c.register(AGENT_ENGINE, { useValue: agent });
  }
  const missing = resolve(c, ENGINE_ROUTER).missing(registry.list().map((p) => ({ id: p.definition.id, engine: p.engine, tools: p.tools, operations: p.operations })));
  if (missing.length > 0) throw new MissingDependenciesError(missing);

  const breaker = resolve(c, AGENT_DECORATED).breaker;
  lifecycle.addShutdownHook('circuit breaker timers', () => breaker.shutdown());
  const app = resolve(c, APP);
  // Runs after the job queue's hooks (hooks run newest first): live event subscriptions end.
  const jobStore = resolve(c, JOB_STORE) as { close?: () => Promise<void> };
  lifecycle.addShutdownHook('job store subscriptions', () => jobStore.close?.());
  // Runs after the job queue's hook (hooks run newest first): retries stop, attempts under way may finish.
  lifecycle.addShutdownHook('webhook deliveries', async () => {
    await resolve(c, WEBHOOKS).close();
    await resolve(c, BATCH_WEBHOOKS).close();
  });
  // The queue stops handing out jobs as soon as the drain starts; running jobs are calls the drain waits for.
  const jobQueue = resolve(c, JOB_QUEUE);
  resolve(c, METRICS).observeJobQueue(() => jobQueue.size);
  lifecycle.addShutdownHook('job queue', async () => {
    resolve(c, BATCHES).close();
    await resolve(c, JOBS).close();
  });
  const ws = webSocketEndpoint({
    runner: resolve(c, CALL_RUNNER), sessions: resolve(c, SESSIONS), authenticator: resolve(c, AUTHENTICATOR),
    allowedOrigins: config.cors.origins, logger, maxMessageBytes: config.server.bodyLimitBytes,
  });
  lifecycle.addShutdownHook('websocket connections', () => {
    for (const client of ws.wss.clients) client.close(1001, 'shutting down');
    ws.wss.close();
  });
  const agent = resolve(c, AGENT_ENGINE) as { close?: () => Promise<void> };
  lifecycle.addShutdownHook('agent engine: running queries, pool and spares', () => agent.close?.());
  return {
    app,
    upgrade: ws.upgrade,
    state,
    metrics: resolve(c, METRICS),
    listen: (port, host) =>
      new Promise<Server>((resolveServer, reject) => {
        const server = createPlatformServer(config, app, ws.upgrade);
        server.once('error', reject);
        server.listen(port, host, () => resolveServer(server));
      }),
    config,
    logger,
    registry,
    lifecycle,
    drain: async (graceMs) => {
      await lifecycle.drain(graceMs);
      await lifecycle.shutdown();
    },
    dispose: async () => {
      await lifecycle.drain(0);
      await lifecycle.shutdown();
    },
  };
}
