import 'reflect-metadata';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CLAUDE_CLIENT, LOGGER, type ClaudeClient, type Logger, type PluginDefinition, type Token } from '@ccp/plugin-api';
import type { Express } from 'express';
import pino from 'pino';
import { instanceCachingFactory, container as rootContainer, type DependencyContainer } from 'tsyringe';
import type { WebSocketServer } from 'ws';
import { createAuditLog } from './audit/audit-log';
import { Authenticator } from './auth/api-keys';
import { AdmissionClaudeClient } from './capacity/admission-client';
import { MemoryCacheStore, RedisCacheStore } from './capacity/response-cache';
import { BreakerClaudeClient } from './claude/breaker-client';
import { buildChildEnv } from './claude/child-env';
import { MeteredClaudeClient } from './claude/metered-client';
import { loadSdkPrewarm, loadSdkQuery, SdkClaudeClient } from './claude/sdk-client';
import { LivePool } from './capacity/live-pool';
import { prepareWorkspaceRoot } from './claude/workspace';
import type { PlatformConfig, Secrets } from './config/schema';
import { healthChecks } from './health-checks';
import { createApp } from './http/app';
import { perKeyLimiter, perPluginLimiter } from './http/rate-limits';
import { webSocketEndpoint, type UpgradeHandler } from './http/websocket';
import { OperationInvoker } from './invoke/invoker';
import { CallGuard } from './limits/guard';
import { createLogger } from './logging/logger';
import { Metrics } from './metrics/metrics';
import { BUILTIN_PLUGINS } from './plugins/builtin';
import { buildRegistry } from './plugins/build-registry';
import type { PluginRegistry } from './plugins/registry';
import { SessionService } from './sessions/session-service';
import { createSharedState, type SharedState } from './shared-state';
import { Lifecycle } from './lifecycle';
import {
  APP, AUDIT_LOG, AUTHENTICATOR, BREAKER, CALL_GUARD, CONFIG, HEALTH_CHECKS, INVOKER, METRICS, PLUGIN_REGISTRY, SDK_QUERY, SECRETS, SESSIONS, SHARED_STATE,
} from './tokens';

/** What a caller of {@link createRuntime} may supply instead of the defaults. */
export interface RuntimeOptions {
  readonly config: PlatformConfig;
  readonly secrets: Secrets;
  /** Directory that relative plugin module paths resolve against. */
  readonly baseDir?: string;
  /** Where log lines go (stdout when absent); they are scrubbed of secrets either way. */
  readonly logDestination?: pino.DestinationStream;
  /** The environment the `claude` child's allowlist is picked from. */
  readonly env?: NodeJS.ProcessEnv;
  /** Replaces the whole Claude client stack (unit tests inject a fake through this token). */
  readonly claudeClient?: ClaudeClient;
  readonly builtins?: readonly PluginDefinition[];
  /**
   * State and metrics to carry over from a runtime this one replaces (a config reload):
   * sessions, limits and budgets continue, and counters keep counting.
   */
  readonly shared?: { readonly state: SharedState; readonly metrics: Metrics };
}

/** An HTTP server for a runtime's app and WebSocket endpoint, with the configured timeouts. */
export function createPlatformServer(config: PlatformConfig, app: (req: IncomingMessage, res: ServerResponse) => void, upgrade: UpgradeHandler): Server {
  const server = createServer({ requestTimeout: config.server.requestTimeoutMs, headersTimeout: Math.min(config.server.requestTimeoutMs, 20_000) }, app);
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
  /**
   * Stops taking new work at once (readiness 503, new calls 503 shutting_down), lets
   * running queries finish for up to `graceMs`, then ends the rest and closes sockets.
   */
  drain(graceMs: number): Promise<void>;
  /** Ends every running query (their processes and workspaces), stops timers, releases the rest. */
  dispose(): Promise<void>;
}

/** Tokens every runtime must have before it serves; checked together at boot. */
const REQUIRED: readonly Token<unknown>[] = [
  CONFIG, SECRETS, LOGGER, METRICS, PLUGIN_REGISTRY, SHARED_STATE, AUTHENTICATOR, CALL_GUARD, AUDIT_LOG, CLAUDE_CLIENT, INVOKER, SESSIONS, HEALTH_CHECKS, APP,
];

/** Thrown when the container lacks registrations; names all of them. */
export class MissingDependenciesError extends Error {
  override readonly name = 'MissingDependenciesError';
  constructor(readonly missing: readonly string[]) {
    super(`the runtime is missing registrations for: ${missing.join(', ')}`);
  }
}

/** Throws one error naming every token in `required` that is not registered. */
export function assertRegistered(isRegistered: (t: Token<unknown>) => boolean, required: readonly Token<unknown>[]): void {
  const missing = required.filter((t) => !isRegistered(t)).map((t) => t.description ?? String(t));
  if (missing.length > 0) throw new MissingDependenciesError(missing);
}

function resolve<T>(c: DependencyContainer, t: Token<T>): T {
  return c.resolve<T>(t);
}

/**
 * The composition root: the only place that touches the tsyringe container. Each runtime
 * gets its own child container, so several can live in one process (tests, replicas).
 */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const c = rootContainer.createChildContainer();
  const { config, secrets } = options;
  let sdkClient: SdkClaudeClient | undefined;
  let pool: LivePool | undefined;
  const logSecrets = { values: [secrets.anthropicApiKey, secrets.claudeOauthToken, secrets.redisUrl], patterns: config.logging.redactPatterns };
  c.register(CONFIG, { useValue: config });
  c.register(SECRETS, { useValue: secrets });
  c.register(LOGGER, { useValue: createLogger(config.logging.level, logSecrets, options.logDestination) });
  c.register(METRICS, { useValue: options.shared?.metrics ?? new Metrics() });
  c.register(PLUGIN_REGISTRY, { useValue: buildRegistry(config, options.builtins ?? BUILTIN_PLUGINS, options.baseDir ?? process.cwd()) });
  const state = options.shared?.state ?? createSharedState(secrets.redisUrl, config.sessions.ttlMs);
  const lifecycle = new Lifecycle();
  c.register(SHARED_STATE, { useValue: state });
  c.register(AUTHENTICATOR, { useValue: new Authenticator(config.auth) });
  c.register(CALL_GUARD, { useValue: new CallGuard(state.counters, config) });
  // A failing audit file is logged, counted and reported by readiness; it never blocks a call.
  c.register(AUDIT_LOG, { useValue: createAuditLog(config.audit, { logger: resolve(c, LOGGER), metrics: resolve(c, METRICS), secrets: logSecrets, stdout: options.logDestination }) });

  if (options.claudeClient) {
    c.register(CLAUDE_CLIENT, { useValue: options.claudeClient });
  } else {
    c.register(SDK_QUERY, { useValue: await loadSdkQuery() });
    await prepareWorkspaceRoot(config.claude.workspaceRoot);
    const childEnv = buildChildEnv(options.env ?? process.env, secrets, config.claude);
    pool = config.pool.enabled
      ? new LivePool(config.pool, { query: resolve(c, SDK_QUERY), prewarm: await loadSdkPrewarm(), env: childEnv, workspaceRoot: config.claude.workspaceRoot, executable: config.claude.executable, logger: resolve(c, LOGGER), metrics: resolve(c, METRICS) })
      : undefined;
    sdkClient = new SdkClaudeClient({
      pool,
      metrics: resolve(c, METRICS),
      query: resolve(c, SDK_QUERY),
      env: childEnv,
      workspaceRoot: config.claude.workspaceRoot,
      executable: config.claude.executable,
      logger: resolve(c, LOGGER),
      sessionStore: state.transcripts,
    });
    c.register(BREAKER, { useValue: new BreakerClaudeClient(sdkClient, config.breaker, resolve(c, METRICS)) });
    // Metered(Admission(Breaker(SDK))): admission sits in front of the breaker.
    const admitted = new AdmissionClaudeClient(resolve(c, BREAKER), config.admission, resolve(c, METRICS));
    c.register(CLAUDE_CLIENT, { useValue: new MeteredClaudeClient(admitted, resolve(c, METRICS), config.pricing) });
  }
  const breaker = c.isRegistered(BREAKER) ? resolve(c, BREAKER) : undefined;
  const perKeyLimit = perKeyLimiter(config.rateLimits, state.redis);
  // Factories are cached: each service is built once per runtime. (tsyringe's plain
  // useFactory builds anew on every resolve, which would give HTTP, sessions and the
  // WebSocket each their own invoker, cache and rate-limit buckets.)
  c.register(INVOKER, {
    useFactory: instanceCachingFactory(
      (k) =>
        new OperationInvoker(
          resolve(k, PLUGIN_REGISTRY), resolve(k, CLAUDE_CLIENT), resolve(k, SECRETS), resolve(k, LOGGER), resolve(k, CALL_GUARD), resolve(k, AUDIT_LOG),
          config.cache.enabled ? { store: state.redis ? new RedisCacheStore(state.redis) : new MemoryCacheStore(config.cache.maxEntries), ttlMs: config.cache.ttlMs, metrics: resolve(k, METRICS) } : undefined,
          perPluginLimiter(config.rateLimits, state.redis),
        ),
    ),
  });
  c.register(SESSIONS, {
    useFactory: instanceCachingFactory((k) => new SessionService(resolve(k, INVOKER), resolve(k, SHARED_STATE).sessions, resolve(k, SHARED_STATE).transcripts, resolve(k, CONFIG).sessions)),
  });
  c.register(HEALTH_CHECKS, {
    useFactory: instanceCachingFactory((k) => healthChecks(resolve(k, CONFIG), resolve(k, SECRETS), resolve(k, PLUGIN_REGISTRY), resolve(k, SHARED_STATE), lifecycle, breaker, resolve(k, AUDIT_LOG))),
  });
  c.register(APP, {
    useFactory: instanceCachingFactory(
      (k): Express =>
        createApp({
          config: resolve(k, CONFIG),
          logger: resolve(k, LOGGER),
          metrics: resolve(k, METRICS),
          registry: resolve(k, PLUGIN_REGISTRY),
          invoker: resolve(k, INVOKER),
          health: resolve(k, HEALTH_CHECKS),
          sessions: resolve(k, SESSIONS),
          authenticator: resolve(k, AUTHENTICATOR),
          guard: resolve(k, CALL_GUARD),
          redis: state.redis,
          perKeyLimit,
          breaker,
          lifecycle,
        }),
    ),
  });

  assertRegistered((t) => c.isRegistered(t), REQUIRED);

  const app = resolve(c, APP);
  const ws = webSocketEndpoint({
    invoker: resolve(c, INVOKER),
    sessions: resolve(c, SESSIONS),
    authenticator: resolve(c, AUTHENTICATOR),
    perKeyLimit,
    allowedOrigins: config.cors.origins,
    logger: resolve(c, LOGGER),
    maxMessageBytes: config.server.bodyLimitBytes,
  });
  const sockets: WebSocketServer[] = [ws.wss];
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
    logger: resolve(c, LOGGER),
    registry: resolve(c, PLUGIN_REGISTRY),
    drain: async (graceMs) => {
      lifecycle.startDraining();
      await pool?.close();
      await sdkClient?.drain(graceMs);
      for (const wss of sockets) for (const client of wss.clients) client.close(1001, 'shutting down');
    },
    dispose: async () => {
      lifecycle.startDraining();
      await pool?.close();
      await sdkClient?.close();
      for (const wss of sockets) {
        for (const client of wss.clients) client.terminate();
        wss.close();
      }
      breaker?.shutdown();
      await resolve(c, AUDIT_LOG).close(); // bounded: a disk that does not answer cannot hold up shutdown
      if (!options.shared) await state.close(); // borrowed state belongs to whoever made it
      await c.dispose();
    },
  };
}
