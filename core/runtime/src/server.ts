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
    logger.info({ signal, graceMs: config.server.shutdownGraceMs }, 'shutting down: no new connections; running requests may finish');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const grace = new Promise<void>((resolve) => setTimeout(resolve, config.server.shutdownGraceMs).unref());
    await Promise.race([closed, grace]);
    await runtime.dispose(); // ends queries still running, with their claude processes
    server.closeAllConnections();
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
