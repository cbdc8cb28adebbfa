import type { AddressInfo } from 'node:net';
import { createRuntime, loadConfig } from '@ccp/runtime';
import { startSimulator } from './simulator';

/**
 * `npm run demo`: the platform with its default config, pointed at the Messages API
 * simulator on loopback, so every endpoint can be called offline with no API key.
 */
async function main(): Promise<void> {
  const simulator = await startSimulator({ port: Number(process.env.SIM_PORT ?? 0) });
  // Stream a little slowly, so `curl -N` with Accept: text/event-stream shows text arriving.
  simulator.setFallback({ auto: true, chunkDelayMs: 40 });
  const { config, baseDir } = loadConfig(process.env);
  const runtime = await createRuntime({
    config,
    baseDir,
    secrets: { anthropicApiKey: 'sk-ant-demo-not-a-real-key', anthropicBaseUrl: simulator.url },
  });
  const server = await runtime.listen(config.server.port, config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host);
  {
    const { port } = server.address() as AddressInfo;
    const base = `http://127.0.0.1:${port}`;
    process.stdout.write(
      [
        '',
        `Claude Code Platform demo on ${base} (Messages API simulator on ${simulator.url}; no real model is called)`,
        '',
        `  curl -s ${base}/v1/plugins`,
        `  curl -s ${base}/health/ready`,
        `  curl -s -X POST ${base}/v1/plugins/code-review/review -H 'content-type: application/json' \\`,
        `       -d '{"files":[{"path":"src/sum.ts","content":"export const sum = (a: number[]) => a.reduce((x, y) => x + y);\\n"}]}'`,
        `  curl -s ${base}/metrics | grep ccp_`,
        '',
        'Ctrl-C stops it.',
        '',
      ].join('\n'),
    );
  }
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
