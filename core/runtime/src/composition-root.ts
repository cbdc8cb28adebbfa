import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import { CLAUDE_CLIENT, LOGGER, type ClaudeClient, type Logger, type PluginDefinition, type Token } from '@ccp/plugin-api';
import type { Express } from 'express';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { BreakerClaudeClient } from './claude/breaker-client';
import { buildChildEnv } from './claude/child-env';
import { MeteredClaudeClient } from './claude/metered-client';
import { loadSdkQuery, SdkClaudeClient } from './claude/sdk-client';
import { prepareWorkspaceRoot } from './claude/workspace';
import type { PlatformConfig, Secrets } from './config/schema';
import { healthChecks } from './health-checks';
import { createApp } from './http/app';
import { OperationInvoker } from './invoke/invoker';
import { createLogger } from './logging/logger';
import { Metrics } from './metrics/metrics';
import { BUILTIN_PLUGINS } from './plugins/builtin';
import { buildRegistry } from './plugins/build-registry';
import type { PluginRegistry } from './plugins/registry';
import { defaultIdentity, type CallerIdentity } from './http/caller';
import { attachWebSocket } from './http/websocket';
import type { WebSocketServer } from 'ws';
import { createSessionStores } from './sessions/session-stores';
import { SessionService } from './sessions/session-service';
import { APP, BREAKER, CONFIG, HEALTH_CHECKS, INVOKER, METRICS, PLUGIN_REGISTRY, SDK_QUERY, SECRETS, SESSION_STORES, SESSIONS } from './tokens';

/** What a caller of {@link createRuntime} may supply instead of the defaults. */
export interface RuntimeOptions {
  readonly config: PlatformConfig;
  readonly secrets: Secrets;
  /** Directory that relative plugin module paths resolve against. */
  readonly baseDir?: string;
  readonly logger?: Logger;
  /** The environment the `claude` child's allowlist is picked from. */
  readonly env?: NodeJS.ProcessEnv;
  /** Replaces the whole Claude client stack (unit tests inject a fake through this token). */
  readonly claudeClient?: ClaudeClient;
  /** Who a request comes from (owner of sessions); the default identity when absent. */
  readonly identify?: CallerIdentity;
  readonly builtins?: readonly PluginDefinition[];
}

/** A composed platform. */
export interface Runtime {
  readonly app: Express;
  /** Listens on a port with the app and the WebSocket endpoint (`/v1/ws`) attached. */
  listen(port: number, host: string): Promise<Server>;
  readonly config: PlatformConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly registry: PluginRegistry;
  /** Ends every running query (their processes and workspaces), stops timers, releases the rest. */
  dispose(): Promise<void>;
}

/** Tokens every runtime must have before it serves; checked together at boot. */
const REQUIRED: readonly Token<unknown>[] = [CONFIG, SECRETS, LOGGER, METRICS, PLUGIN_REGISTRY, SESSION_STORES, CLAUDE_CLIENT, INVOKER, SESSIONS, HEALTH_CHECKS, APP];

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
  let sdkClient: SdkClaudeClient | undefined;
  const { config, secrets } = options;
  c.register(CONFIG, { useValue: config });
  c.register(SECRETS, { useValue: secrets });
  c.register(LOGGER, { useValue: options.logger ?? createLogger(config.logging.level) });
  c.register(METRICS, { useValue: new Metrics() });
  c.register(PLUGIN_REGISTRY, { useValue: buildRegistry(config, options.builtins ?? BUILTIN_PLUGINS, options.baseDir ?? process.cwd()) });
  const stores = createSessionStores(secrets.redisUrl, config.sessions.ttlMs);
  c.register(SESSION_STORES, { useValue: stores });

  if (options.claudeClient) {
    c.register(CLAUDE_CLIENT, { useValue: options.claudeClient });
  } else {
    c.register(SDK_QUERY, { useValue: await loadSdkQuery() });
    await prepareWorkspaceRoot(config.claude.workspaceRoot);
    sdkClient = new SdkClaudeClient({
      query: resolve(c, SDK_QUERY),
      env: buildChildEnv(options.env ?? process.env, secrets, config.claude),
      workspaceRoot: config.claude.workspaceRoot,
      executable: config.claude.executable,
      logger: resolve(c, LOGGER),
      sessionStore: stores.transcripts,
    });
    c.register(BREAKER, { useValue: new BreakerClaudeClient(sdkClient, config.breaker, resolve(c, METRICS)) });
    c.register(CLAUDE_CLIENT, { useValue: new MeteredClaudeClient(resolve(c, BREAKER), resolve(c, METRICS)) });
  }
  const breaker = c.isRegistered(BREAKER) ? resolve(c, BREAKER) : undefined;
  c.register(INVOKER, {
    useFactory: (k) => new OperationInvoker(resolve(k, PLUGIN_REGISTRY), resolve(k, CLAUDE_CLIENT), resolve(k, SECRETS), resolve(k, LOGGER)),
  });
  c.register(SESSIONS, { useFactory: (k) => new SessionService(resolve(k, INVOKER), resolve(k, SESSION_STORES).sessions, resolve(k, CONFIG).sessions) });
  c.register(HEALTH_CHECKS, { useFactory: (k) => healthChecks(resolve(k, CONFIG), resolve(k, SECRETS), resolve(k, PLUGIN_REGISTRY), resolve(k, SESSION_STORES), breaker) });
  c.register(APP, {
    useFactory: (k): Express =>
      createApp({
        config: resolve(k, CONFIG),
        logger: resolve(k, LOGGER),
        metrics: resolve(k, METRICS),
        registry: resolve(k, PLUGIN_REGISTRY),
        invoker: resolve(k, INVOKER),
        health: resolve(k, HEALTH_CHECKS),
        sessions: resolve(k, SESSIONS),
        identify: options.identify ?? defaultIdentity,
      }),
  });

  assertRegistered((t) => c.isRegistered(t), REQUIRED);

  const app = resolve(c, APP);
  const sockets: WebSocketServer[] = [];
  return {
    app,
    listen: (port, host) =>
      new Promise<Server>((resolveServer, reject) => {
        const server = createServer(app);
        sockets.push(attachWebSocket(server, {
          invoker: resolve(c, INVOKER),
          sessions: resolve(c, SESSIONS),
          identify: options.identify ?? defaultIdentity,
          logger: resolve(c, LOGGER),
          maxMessageBytes: config.server.bodyLimitBytes,
        }));
        server.once('error', reject);
        server.listen(port, host, () => resolveServer(server));
      }),
    config,
    logger: resolve(c, LOGGER),
    metrics: resolve(c, METRICS),
    registry: resolve(c, PLUGIN_REGISTRY),
    dispose: async () => {
      await sdkClient?.close();
      for (const wss of sockets) {
        for (const client of wss.clients) client.terminate();
        wss.close();
      }
      breaker?.shutdown();
      await stores.close();
      await c.dispose();
    },
  };
}
