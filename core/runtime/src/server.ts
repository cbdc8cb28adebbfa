import { once } from 'node:events';
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
  const server = runtime.app.listen(config.server.port, config.server.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  logger.info({ port, config: source, plugins: runtime.registry.list().map((p) => p.definition.id) }, `listening on http://${config.server.host}:${port}`);
  const missing = credentialsProblem(secrets);
  if (missing) logger.warn({}, missing);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close(() => {
      void runtime.dispose().then(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 30_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof PluginLoadError) {
    process.stderr.write(`claude-code-platform: ${err.message}\n`);
  } else {
    process.stderr.write(`claude-code-platform: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  }
  process.exit(1);
});
