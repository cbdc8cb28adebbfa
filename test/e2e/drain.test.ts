import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { postJson, processesUnder, readEventStream, startServerProcess, startSimulator, testKey, waitUntil, type ReceivedEvent, type ServerProcess, type Simulator } from '@ccp/testing';

// Graceful shutdown of the real server process: SIGTERM turns readiness to 503 at once,
// refuses new calls, lets running streams finish (or ends them with shutting_down after
// the drain time), leaves no claude process behind, and exits 0.

const review = { files: [{ path: 'a.ts', content: 'x' }] };

let onStart: ((server: ServerProcess) => void) | undefined;

async function startServer(sim: Simulator, graceMs: number) {
  const key = testKey('drain');
  const dir = mkdtempSync(join(tmpdir(), 'ccp-drain-'));
  const workspaceRoot = join(dir, 'workspaces');
  writeFileSync(join(dir, 'c.yaml'), stringify({ auth: { keys: [key.entry] }, claude: { workspaceRoot, maxRetries: 0 }, server: { shutdownGraceMs: graceMs }, cache: { enabled: false }, admission: { maxConcurrent: 8 }, limits: { maxConcurrentPerKey: 10 } }));
  const server = await startServerProcess({ HOME: dir, CCP_CONFIG: join(dir, 'c.yaml'), ANTHROPIC_API_KEY: 'sk-ant-drain', ANTHROPIC_BASE_URL: sim.url });
  onStart?.(server);
  return { child: server.child, url: server.url, headers: key.headers, workspaceRoot };
}

describe('graceful shutdown', () => {
  let sim: Simulator;
  const started: ServerProcess[] = [];
  beforeAll(async () => {
    sim = await startSimulator();
    onStart = (server) => started.push(server);
  });
  afterAll(async () => {
    for (const server of started) if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await sim.close();
  });

  it('finishes five running streams, turns not-ready at once, refuses new calls, exits 0', async () => {
    const server = await startServer(sim, 30_000);
    sim.setFallback({ auto: true, chunkDelayMs: 150 });
    const streams = Array.from({ length: 5 }, () =>
      postJson(`${server.url}/v1/plugins/code-review/review`, review, { headers: { ...server.headers, accept: 'text/event-stream' } }).then((res) => readEventStream(res)),
    );
    await sim.waitForMessageRequests(5);
    const exited = once(server.child, 'exit');
    const killedAt = Date.now();
    server.child.kill('SIGTERM');
    expect(await waitUntil(async () => (await fetch(`${server.url}/health/ready`)).status === 503, 100, 5)).toBe(true);
    expect(Date.now() - killedAt).toBeLessThan(1000);
    const refused = await postJson(`${server.url}/v1/plugins/code-review/review`, review, { headers: server.headers });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { code: string }).code).toBe('shutting_down');

    const results: ReceivedEvent[][] = await Promise.all(streams);
    expect(results.map((events) => events.at(-1)?.event)).toEqual(['result', 'result', 'result', 'result', 'result']);
    const [code] = (await exited) as [number];
    expect(code).toBe(0);
    expect(processesUnder(server.workspaceRoot)).toEqual([]);
    sim.setFallback(undefined);
  });

  it('ends streams still running after the drain time with a shutting_down error event', async () => {
    const server = await startServer(sim, 500);
    sim.setFallback({ hang: true });
    const stream = postJson(`${server.url}/v1/plugins/code-review/review`, review, { headers: { ...server.headers, accept: 'text/event-stream' } }).then((res) => readEventStream(res));
    await sim.waitForMessageRequests(sim.messageRequests().length + 1);
    const exited = once(server.child, 'exit');
    server.child.kill('SIGTERM');
    const events = await stream;
    expect(events.map((e) => e.event)).toEqual(['start', 'error']);
    expect(events[1]?.data).toMatchObject({ code: 'shutting_down', status: 503 });
    expect(((await exited) as [number])[0]).toBe(0);
    expect(processesUnder(server.workspaceRoot)).toEqual([]);
    sim.setFallback(undefined);
  });
});
