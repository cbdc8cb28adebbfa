import type { AddressInfo } from 'node:net';
import { createRuntime, hashKey, parseConfig } from '@ccp/runtime';
import { BUILTIN_PLUGINS, loadServerConfig } from '@ccp/server';
import { demoBanner } from './demo-banner';
import { profileFromEnv, startSimulator } from './simulator';

/** The demo's API key. Not a secret: it only opens the demo, which only reaches the simulator. */
export const DEMO_KEY = 'ccp_demo_key_not_a_secret_0123456789';

/**
 * `npm run demo`: the platform with its default config, pointed at the Messages API
 * simulator on loopback, so every endpoint can be called offline with no API key.
 */
async function main(): Promise<void> {
  // SIM_PROFILE=realistic (and SIM_FIRST_BYTE_MS, SIM_EVENT_MS …) answers at a real model's pace.
  const profile = profileFromEnv(process.env);
  const simulator = await startSimulator({ port: Number(process.env.SIM_PORT ?? 0), ...(profile ? { profile } : {}) });
  // Otherwise stream a little slowly, so `curl -N` with Accept: text/event-stream shows text arriving.
  if (!profile) simulator.setFallback({ auto: true, chunkDelayMs: 40 });
  const loaded = loadServerConfig(process.env);
  const { baseDir } = loaded;
  // The one documented demo key: an admin key added to whatever keys the config has.
  const config = parseConfig({
    ...loaded.config,
    auth: { ...loaded.config.auth, keys: [...loaded.config.auth.keys, { name: 'demo', sha256: hashKey(DEMO_KEY), roles: ['user', 'admin'], plugins: ['*'] }] },
    // The demo's keys and ledger stay apart from a real server's in data/ (unless CCP_DATA_DIR says where).
    database: { ...loaded.config.database, ...(process.env.CCP_DATA_DIR ? {} : { embeddedDir: 'data/demo' }) },
  });
  const runtime = await createRuntime({
    config,
    baseDir,
    builtins: BUILTIN_PLUGINS,
    secrets: { anthropicApiKey: 'sk-ant-demo-not-a-real-key', anthropicBaseUrl: simulator.url },
  });
  const server = await runtime.listen(config.server.port, config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host);
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  // The banner names only what is served: the registry's plugins and the served OpenAPI document's paths.
  const openapi = (await (await fetch(`${base}/openapi.json`)).json()) as { paths?: Record<string, unknown> };
  process.stdout.write(demoBanner({ base, simulatorUrl: profile ? `${simulator.url}, latency profile ${profile.name}` : simulator.url, key: DEMO_KEY, plugins: runtime.registry.list(), paths: new Set(Object.keys(openapi.paths ?? {})) }));
  const stop = () => {
    server.closeAllConnections();
    server.close(() => void Promise.all([runtime.dispose(), simulator.close()]).then(() => process.exit(0)));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
