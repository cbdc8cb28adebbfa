import type { AddressInfo } from 'node:net';
import { ConfigError, createLogger, createPlatformServer, createRuntime, createSharedState, credentialsProblem, DatabaseHeldError, Metrics, MissingDependenciesError, openDatabase, readSecrets, SchemaTooNewError, type Runtime } from '@ccp/runtime';
import { BUILTIN_PLUGINS } from './builtin-plugins';
import { loadServerConfig } from './shipped-config';

/** The plugins a runtime serves, each with where it comes from (built-in, YAML file, module, package). */
function served(runtime: Runtime): { plugins: { id: string; source: string }[]; text: string } {
  const plugins = runtime.registry.list().map((p) => ({ id: p.definition.id, source: p.source }));
  return { plugins, text: `serving ${plugins.length} plugins: ${plugins.map((p) => `${p.id} (${p.source})`).join(', ')}` };
}

/**
 * Starts the platform from the environment: config, runtime, HTTP listener, signals.
 * SIGTERM/SIGINT drain and exit 0; SIGHUP reloads the config and plugin set: requests
 * go to the new runtime at once, the old one finishes what it runs and is let go. A
 * reload that fails keeps the running config and says why.
 */
async function main(): Promise<void> {
  const loaded = loadServerConfig(process.env);
  const secrets = readSecrets(process.env, loaded.config.auth);
  // The process owns the shared state, the metrics and the database, so they outlive any one
  // runtime (a reload builds a new runtime on them; REDIS_URL and database changes need a restart).
  const bootLogger = createLogger(loaded.config.logging.level, { values: [secrets.databaseUrl], patterns: loaded.config.logging.redactPatterns });
  const database = await openDatabase(loaded.config, secrets, bootLogger);
  const shared = { state: createSharedState(secrets.redisUrl, loaded.config.sessions.ttlMs), metrics: new Metrics(), ...(database ? { database } : {}) };
  let runtime: Runtime = await createRuntime({ config: loaded.config, secrets, builtins: BUILTIN_PLUGINS, baseDir: loaded.baseDir, shared });
  const { config } = loaded;
  const server = createPlatformServer(
    config,
    (req, res) => runtime.app(req, res),
    (req, socket, head) => runtime.upgrade(req, socket, head),
  );
  await new Promise<void>((resolve) => server.listen(config.server.port, config.server.host, resolve));
  const { port } = server.address() as AddressInfo;
  const logger = () => runtime.logger;
  const boot = served(runtime);
  logger().info({ config: loaded.source, plugins: boot.plugins }, boot.text);
  logger().info({ port, config: loaded.source, plugins: boot.plugins.map((p) => p.id) }, `listening on http://${config.server.host}:${port}`);
  const missing = credentialsProblem(secrets);
  if (missing) logger().warn({}, missing);

  let stopping = false;
  let reloading = false;
  const reload = async () => {
    if (stopping || reloading) return;
    reloading = true;
    try {
      const next = loadServerConfig(process.env);
      if (next.config.server.port !== config.server.port || next.config.server.host !== config.server.host) {
        logger().warn({}, 'server.port and server.host take effect only on restart');
      }
      // Keys may have come or gone: their webhook secrets are read again (the rest is the same environment).
      const fresh = await createRuntime({ config: next.config, secrets: { ...secrets, keyWebhookSecrets: readSecrets(process.env, next.config.auth).keyWebhookSecrets }, builtins: BUILTIN_PLUGINS, baseDir: next.baseDir, shared });
      const previous = runtime;
      runtime = fresh;
      const now = served(fresh);
      logger().info({ config: next.source, plugins: now.plugins }, `configuration reloaded; ${now.text}`);
      void previous.drain(previous.config.server.shutdownGraceMs).then(() => previous.dispose());
    } catch (err) {
      const why = err instanceof ConfigError || err instanceof MissingDependenciesError ? err.message : String(err);
      logger().error({ reason: why }, 'configuration reload failed; keeping the running configuration');
    } finally {
      reloading = false;
    }
  };

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Keep listening while draining: readiness must answer 503 (not refuse connections) so
    // the load balancer takes this instance out, and new calls get a typed 503.
    logger().info({ signal, graceMs: runtime.config.server.shutdownGraceMs }, 'draining: no new calls; running calls may finish');
    await runtime.drain(runtime.config.server.shutdownGraceMs);
    await new Promise((resolve) => setTimeout(resolve, 50)); // let the last responses flush
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    await runtime.dispose();
    await shared.state.close();
    await database?.close();
    logger().info({}, 'stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => void reload());
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof MissingDependenciesError || err instanceof DatabaseHeldError || err instanceof SchemaTooNewError) {
    process.stderr.write(`claude-code-platform: ${err.message}\n`);
  } else {
    process.stderr.write(`claude-code-platform: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  process.exit(1);
});
