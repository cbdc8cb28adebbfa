import 'reflect-metadata';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { LOGGER, type Logger, type PluginDefinition, type Token } from '@ccp/plugin-api';
import type { Express } from 'express';
import pino from 'pino';
import { instanceCachingFactory, container as rootContainer, type DependencyContainer } from 'tsyringe';
import { createAuditLog } from './audit/audit-log';
import { Authenticator } from './auth/api-keys';
import { KeyDirectory, keyState } from './auth/key-directory';
import { KeyService } from './auth/key-service';
import { KeyStore } from './auth/key-store';
import type { Database } from './db/database';
import { openDatabase } from './db/open-database';
import { LedgerWriter } from './ledger/ledger-writer';
import { pruneLedger, spendSince } from './ledger/usage-report';
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
import { checkExternalServers, type ExternalToolset } from './engine/agent-sdk/tools/external-servers';
import { decorate } from './engine/decorate';
import { anthropicMessagesApi } from './engine/messages/messages-api';
import { DEFAULT_MESSAGES_MODEL, MessagesEngine, messagesEngineProblems } from './engine/messages/messages-engine';
import { EngineRouter } from './engine/router';
import { healthChecks } from './health-checks';
import { createApp, PLATFORM_VERSION } from './http/app';
import { McpSessions } from './http/mcp/mcp-sessions';
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
import { publishInstance } from './instances/instance-publisher';
import { InstanceStatus } from './instances/instance-status';
import { Lifecycle } from './lifecycle/lifecycle';
import { BudgetLimit } from './limits/budget';
import { checkPluginIds } from './limits/check-plugin-ids';
import { deriveCapacity, type Capacity } from './limits/capacity';
import { ConcurrencyLimit } from './limits/concurrency';
import { PluginRateLimit, RequestRateLimit } from './limits/rate-limits';
import { createLogger } from './logging/logger';
import { HourWindow, windowCounts } from './metrics/hour-window';
import { Metrics } from './metrics/metrics';
import { buildRegistry } from './plugins/build-registry';
import type { PluginRegistry } from './plugins/registry';
import { SessionService } from './sessions/session-service';
import { MemoryCacheStore, RedisCacheStore } from './state/cache-store';
import { ExecGitRunner } from './sources/git-runner';
import { createSources } from './sources/sources';
import { createSharedState, type SharedState } from './state/shared-state';
import {
  AGENT_DECORATED, AGENT_ENGINE, AGENT_SDK, APP, AUDIT_LOG, AUTHENTICATOR, DATABASE, KEY_DIRECTORY, KEYS, LEDGER, BUDGET_LIMIT, CACHE_STORE, CALL_RUNNER, CAPACITY, CLOCK, CONCURRENCY_LIMIT, CONFIG, ENGINE_ROUTER, MESSAGES_ENGINE,
  BATCH_STORE, BATCH_WEBHOOKS, BATCHES, GIT_RUNNER, HEALTH_CHECKS, INSTANCE_ID, INSTANCE_STATUS, JOBS, JOB_QUEUE, JOB_STORE, LIFECYCLE, MCP_SESSIONS, METRICS, PLANNER, PLUGIN_RATE_LIMIT, PLUGIN_REGISTRY, REQUEST_RATE_LIMIT, SECRETS, SESSIONS, SHARED_STATE,
  SOURCES, STATUS_WINDOW, WEBHOOKS, type Override,
} from './tokens';

/**
 * This process's instance id: host name, process id and 4 random hex digits, the same for
 * every runtime of the process (a reload keeps it) and unique across processes even where
 * they share a host name and pid (containers on one host network, each node at pid 1 or 7).
 */
const PROCESS_INSTANCE_ID = `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;

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
  readonly shared?: { readonly state: SharedState; readonly metrics: Metrics; readonly database?: Database };
}

/** How often ledger rows past their retention are deleted (also once at boot). */
const LEDGER_PRUNE_MS = 3_600_000;

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

/**
 * With a database: reads its keys into this instance's snapshot (then every keyRefreshMs),
 * hands every audit line to the ledger, rebuilds the budget counters of the current day and
 * month from the ledger, deletes rows past their retention (now and hourly), and reports
 * keys that name plugins not served.
 */
async function startKeysAndLedger(c: DependencyContainer, config: PlatformConfig, logger: Logger): Promise<void> {
  const db = resolve(c, DATABASE);
  const directory = resolve(c, KEY_DIRECTORY);
  const ledger = resolve(c, LEDGER);
  if (!db || !directory || !ledger) return;
  const now = resolve(c, CLOCK);
  await directory.start();
  resolve(c, AUDIT_LOG).onRecord((entry) => ledger.append(entry));
  resolve(c, METRICS).observeKeysAndLedger(() => {
    const counts = { active: 0, expired: 0, revoked: 0 };
    for (const key of directory.list()) counts[keyState(key, now())]++;
    return counts;
  }, () => ledger.lagSeconds());
  await resolve(c, BUDGET_LIMIT).rebuild((since) => spendSince(db, since));
  const prune = () => pruneLedger(db, config.database.ledger.retentionDays, now()).then(
    (n) => n > 0 && logger.info({ rows: n, retentionDays: config.database.ledger.retentionDays }, 'deleted usage ledger rows past their retention'),
    (err: unknown) => logger.warn({ err }, 'could not delete usage ledger rows past their retention'),
  );
  await prune();
  const timer = setInterval(() => void prune(), LEDGER_PRUNE_MS);
  timer.unref();
  resolve(c, LIFECYCLE).addShutdownHook('ledger retention timer', () => clearInterval(timer));
  for (const k of await resolve(c, KEYS).unknownPlugins()) logger.warn({ key: k.name, plugins: k.plugins }, `API key "${k.name}" names plugins that are not served: ${k.plugins.join(', ')}`);
  logger.info({ database: db.kind, location: db.location, keys: directory.list().length }, `API keys and the usage ledger are kept in ${db.kind === 'pglite' ? `the embedded database in ${db.location}` : `PostgreSQL (${db.location})`}`);
}

/** Checks every served plugin's external MCP servers at boot; all problems, each naming its server, in one ConfigError. */
async function externalToolsets(config: PlatformConfig, registry: PluginRegistry, env: NodeJS.ProcessEnv): Promise<ReadonlyMap<string, ExternalToolset>> {
  const plugins = registry.list().flatMap((p) => {
    const mcpServers = config.plugins[p.definition.id]?.mcpServers;
    return mcpServers ? [{ id: p.definition.id, engine: p.engine, mcpServers }] : [];
  });
  if (plugins.length === 0) return new Map();
  const wrongEngine = plugins.filter((p) => p.engine !== 'agent').map((p) => `plugins.${p.id}.mcpServers: engine "${p.engine}" runs no tools; MCP servers need engine "agent"`);
  const { toolsets, problems } = await checkExternalServers(plugins.filter((p) => p.engine === 'agent'), env, config.mcp);
  if (wrongEngine.length + problems.length > 0) throw new ConfigError('external MCP servers', [...wrongEngine, ...problems]);
  return toolsets;
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
  // The values of the variables plugins' MCP servers name (tokens in headers, env) are secrets too.
  const mcpServerSecrets = Object.values(config.plugins).flatMap((p) => Object.values(p.mcpServers ?? {}).flatMap((s) => (s.type === 'stdio' ? s.env : Object.values(s.headers)))).map((name) => (options.env ?? process.env)[name]);
  const logSecrets = { values: [secrets.anthropicApiKey, secrets.claudeOauthToken, secrets.redisUrl, secrets.databaseUrl, ...webhookSecrets, ...mcpServerSecrets], patterns: config.logging.redactPatterns };
  const logger = createLogger(config.logging.level, logSecrets, options.logDestination);
  const lifecycle = new Lifecycle(logger);
  const state = options.shared?.state ?? createSharedState(secrets.redisUrl, config.sessions.ttlMs);
  // Commands fail fast while the store is away (no offline queue): wait for it before serving,
  // boundedly, so the first calls after boot are not refused; a store still away is reported.
  if (!(await state.ready(STATE_READY_WAIT_MS))) logger.warn({}, `the shared state store (Redis) did not answer within ${STATE_READY_WAIT_MS / 1000} s; calls get 503 shared_state_unavailable until it does (see /health/ready)`);
  // Hooks run newest first: the agent engine (registered last but for the status's own) ends
  // every process before the sockets, the container and the shared state go.
  if (!options.shared) lifecycle.addShutdownHook('shared state', () => state.close()); // borrowed state belongs to whoever made it
  // Keys and the ledger: a database given by the process (it outlives a reload) is its own; else this runtime opens one, or none.
  const database = options.shared?.database ?? (await openDatabase(config, secrets, logger));
  if (database && !options.shared?.database) lifecycle.addShutdownHook('database', () => database.close());
  lifecycle.addShutdownHook('container', () => c.dispose());
  // Bounded: a disk that does not answer cannot hold up shutdown.
  lifecycle.addShutdownHook('audit log', () => resolve(c, AUDIT_LOG).close());
  // After every call and job has ended (their lines are in), before the database closes.
  // Its last flush may carry a backlog: longer than the default 5 s, so spend rows are not cut off.
  lifecycle.addShutdownHook('usage ledger', () => resolve(c, LEDGER)?.close(), { timeoutMs: 10_000 });
  lifecycle.addShutdownHook('key directory', () => resolve(c, KEY_DIRECTORY)?.close());

  c.register(CONFIG, { useValue: config });
  c.register(SECRETS, { useValue: secrets });
  c.register(LOGGER, { useValue: logger });
  c.register(LIFECYCLE, { useValue: lifecycle });
  c.register(METRICS, { useValue: options.shared?.metrics ?? new Metrics() });
  c.register(CLOCK, { useValue: () => new Date() });
  c.register(SHARED_STATE, { useValue: state });
  c.register(INSTANCE_ID, { useValue: PROCESS_INSTANCE_ID });
  once(c, PLUGIN_REGISTRY, () => buildRegistry(config, options.builtins, options.baseDir ?? process.cwd()));
  once(c, CACHE_STORE, () => (config.cache.enabled ? (state.redis ? new RedisCacheStore(state.redis) : new MemoryCacheStore(config.cache.maxEntries)) : undefined));
  c.register(DATABASE, { useFactory: () => database });
  once(c, KEY_DIRECTORY, (k) => {
    const db = resolve(k, DATABASE);
    if (!db) return undefined;
    return new KeyDirectory(new KeyStore(db), config.database.keyRefreshMs, logger);
  });
  once(c, AUTHENTICATOR, (k) => new Authenticator(config.auth, resolve(k, KEY_DIRECTORY), resolve(k, CLOCK)));
  once(c, KEYS, (k) => {
    const db = resolve(k, DATABASE);
    return new KeyService({
      ...(db ? { store: new KeyStore(db) } : {}), directory: resolve(k, KEY_DIRECTORY), fileKeys: config.auth.keys, audit: resolve(k, AUDIT_LOG), logger, now: resolve(k, CLOCK),
      servedPlugins: () => resolve(k, PLUGIN_REGISTRY).list().map((p) => p.definition.id), rotationGraceSeconds: config.database.rotationGraceSeconds,
    });
  });
  once(c, LEDGER, (k) => {
    const db = resolve(k, DATABASE);
    if (!db) return undefined;
    const metrics = resolve(k, METRICS);
    return new LedgerWriter(db, {
      flushMs: config.database.ledger.flushMs, maxBacklog: config.database.ledger.maxBacklog, now: resolve(k, CLOCK), logger,
      events: { written: (n) => metrics.ledgerRowsWritten.inc(n), failed: () => metrics.ledgerWriteFailures.inc(), dropped: (n) => metrics.ledgerRowsDropped.inc(n) },
    });
  });
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
  once(c, PLANNER, (k) => {
    const authenticator = resolve(k, AUTHENTICATOR);
    return new Planner(resolve(k, PLUGIN_REGISTRY), secrets, state.sessions, config.sessions, Date.now, resolve(k, SOURCES).resolver, (caller) => authenticator.assertStillValid(caller));
  });
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
  // MCP sessions call through the same runner (transport `mcp`): one pipeline for every transport.
  once(c, MCP_SESSIONS, (k) => new McpSessions({ registry: resolve(k, PLUGIN_REGISTRY), runner: resolve(k, CALL_RUNNER), pricing: config.pricing, version: PLATFORM_VERSION, lifecycle, logger }, config.mcp));
  once(c, HEALTH_CHECKS, (k) => {
    const db = resolve(k, DATABASE);
    const directory = resolve(k, KEY_DIRECTORY);
    const ledger = resolve(k, LEDGER);
    const database = db && directory && ledger ? { kind: db.kind, location: db.location, keysStale: () => directory.stale, ledgerFailing: () => ledger.failingNow, ledgerBacklog: () => ledger.backlog } : undefined;
    return healthChecks(config, secrets, resolve(k, PLUGIN_REGISTRY), state, lifecycle, resolve(k, AGENT_DECORATED).breaker, resolve(k, AUDIT_LOG), database);
  });
  once(c, STATUS_WINDOW, (k) => new HourWindow(() => windowCounts(resolve(k, METRICS)), () => resolve(k, CLOCK)().getTime()));
  once(c, INSTANCE_STATUS, (k) => new InstanceStatus({
    instanceId: resolve(k, INSTANCE_ID), version: PLATFORM_VERSION, startedAt: resolve(k, CLOCK)().getTime(), metrics: resolve(k, METRICS), breaker: resolve(k, AGENT_DECORATED).breaker,
    lifecycle, registry: state.instances, shared: state.kind === 'redis', now: () => resolve(k, CLOCK)().getTime(),
  }));
  once(c, APP, (k) =>
    createApp({
      config, logger, metrics: resolve(k, METRICS), registry: resolve(k, PLUGIN_REGISTRY), planner: resolve(k, PLANNER), runner: resolve(k, CALL_RUNNER), health: resolve(k, HEALTH_CHECKS),
      sessions: resolve(k, SESSIONS), jobs: resolve(k, JOBS), batches: resolve(k, BATCHES), authenticator: resolve(k, AUTHENTICATOR), redis: state.redis, breaker: resolve(k, AGENT_DECORATED).breaker, audit: resolve(k, AUDIT_LOG),
      ...(config.mcp.enabled ? { mcp: resolve(k, MCP_SESSIONS) } : {}),
      limits: { requests: resolve(k, REQUEST_RATE_LIMIT), concurrency: resolve(k, CONCURRENCY_LIMIT), budget: resolve(k, BUDGET_LIMIT) },
      keys: resolve(k, KEYS), database: resolve(k, DATABASE), now: resolve(k, CLOCK),
      status: { instances: resolve(k, INSTANCE_STATUS), window: resolve(k, STATUS_WINDOW), now: () => resolve(k, CLOCK)().getTime() },
      budgetedKeys: () => [...config.auth.keys, ...(resolve(k, KEY_DIRECTORY)?.list().filter((key) => !key.revokedAt) ?? [])],
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
  await startKeysAndLedger(c, config, logger);
  lifecycle.addShutdownHook('git commands', () => (resolve(c, GIT_RUNNER) as { close?: () => void }).close?.());
  // Operator-configured MCP servers: each must start and list the tools its section allows.
  const external = await externalToolsets(config, registry, options.env ?? process.env);
  if (!c.isRegistered(AGENT_ENGINE)) {
    const sdk = given.has(AGENT_SDK) ? resolve(c, AGENT_SDK) : await loadSdk();
    const agent = await createAgentEngine({
      sdk, config, secrets, env: options.env ?? process.env, logger, metrics: resolve(c, METRICS), sessionStore: state.transcripts, capacity, materialiser: resolve(c, SOURCES).materialiser, externalTools: external,
      // Each call of a plugin's own tool: its own audit record and a count.
      toolObserver: (call) => {
        resolve(c, AUDIT_LOG).recordToolCall(call);
        resolve(c, METRICS).definedToolCalls.inc({ plugin: call.plugin, tool: call.tool, outcome: call.outcome });
      },
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
    upgradeRate: resolve(c, REQUEST_RATE_LIMIT),
  });
  if (config.mcp.enabled) lifecycle.addShutdownHook('mcp sessions', () => resolve(c, MCP_SESSIONS).close());
  lifecycle.addShutdownHook('websocket connections', () => {
    for (const client of ws.wss.clients) client.close(1001, 'shutting down');
    ws.wss.close();
  });
  const agent = resolve(c, AGENT_ENGINE) as { close?: () => Promise<void> };
  // Waits for spares still starting and ends every process (3 s, then SIGTERM, 1 s, then SIGKILL):
  // longer than the default 5 s, so no claude process outlives the server.
  lifecycle.addShutdownHook('agent engine: running queries, pool and spares', () => agent.close?.(), { timeoutMs: 15_000 });
  // The status's last hour: a snapshot now (the metrics may have been counting before a reload), then one a minute.
  const stopSnapshots = await resolve(c, STATUS_WINDOW).start();
  lifecycle.addShutdownHook('status snapshots', stopSnapshots);
  // Registered last, so it runs first: the instance leaves the others' status as soon as its drain ends.
  const status = resolve(c, INSTANCE_STATUS);
  await publishInstance({ registry: state.instances, summary: () => status.summary(), lifecycle, logger });
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
