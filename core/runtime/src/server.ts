import type { AddressInfo } from 'node:net';
import { createRuntime } from './composition-root';
import { ConfigError, loadConfig } from './config/load-config';
import { readSecrets } from './config/env-overrides';
import { credentialsProblem } from './invoke/invoker';
import { PluginLoadError } from './plugins/build-registry';

/** Starts the platform from the environment: config, runtime, HTTP listener, signals. */
async function main(): Promise<void> {
  const { config, source, baseDir } = loadConfig(process.env);
  const secrets = readSecrets(process.env);
  const runtime = await createRuntime({ config, secrets, baseDir });
  const { logger } = runtime;
  const server = await runtime.listen(config.server.port, config.server.host);
  const { port } = server.address() as AddressInfo;
  logger.info({ port, config: source, plugins: runtime.registry.list().map((p) => p.definition.id) }, `listening on http://${config.server.host}:${port}`);
  const missing = credentialsProblem(secrets);
  if (missing) logger.warn({}, missing);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Keep listening while draining: readiness must answer 503 (not refuse connections) so
    // the load balancer takes this instance out, and new calls get a typed 503.
    logger.info({ signal, graceMs: config.server.shutdownGraceMs }, 'draining: no new calls; running calls may finish');
    await runtime.drain(config.server.shutdownGraceMs);
    await new Promise((resolve) => setTimeout(resolve, 50)); // let the last responses flush
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    await runtime.dispose();
    logger.info({}, 'stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof PluginLoadError) {
    process.stderr.write(`claude-code-platform: ${err.message}\n`);
  } else {
    process.stderr.write(`claude-code-platform: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  process.exit(1);
});
