import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { postJson, startRedis, startServerProcess, startSimulator, testKey, type ServerProcess, type Simulator, type TestRedis } from '@ccp/testing';

// Three platform processes sharing one redis-server behind a small round-robin proxy on
// loopback (which, like a load balancer, routes only to instances whose /health/ready is
// 200). A mixed load of sessions, cached and uncached calls runs while one instance gets
// SIGTERM and comes back: no connection error reaches the client, every request ends in a
// result or a typed problem, and every session can still be continued.

const SECONDS = Number(process.env.REPLICA_LOAD_SECONDS ?? 60);
const WORKERS = 4;

type Instance = ServerProcess;

describe('three replicas behind a proxy, one restarted under load', () => {
  let redis: TestRedis;
  let sim: Simulator;
  const instances: (Instance | undefined)[] = [];
  let proxy: Server;
  let pollTimer: NodeJS.Timeout;
  const healthy = new Set<string>();
  const key = testKey('load');
  const dir = mkdtempSync(join(tmpdir(), 'ccp-replicas-'));

  const startInstance = () => startServerProcess({ HOME: dir, CCP_CONFIG: join(dir, 'c.yaml'), ANTHROPIC_API_KEY: 'sk-ant-load', ANTHROPIC_BASE_URL: sim.url, REDIS_URL: redis.url });

  beforeAll(async () => {
    redis = await startRedis();
    sim = await startSimulator();
    writeFileSync(
      join(dir, 'c.yaml'),
      stringify({
        auth: { keys: [{ ...key.entry, maxConcurrent: 50 }] },
        rateLimits: { perKey: 100_000 },
        claude: { workspaceRoot: join(dir, 'ws') },
        server: { shutdownGraceMs: 10_000 },
        admission: { maxConcurrent: 4, queueSize: 32 },
        // Each worker's session takes about a third of its calls for the whole run; the
        // default 50-turn limit would end it on a fast machine (a 404 this test is not about).
        sessions: { maxTurns: 10_000 },
      }),
    );
    for (let i = 0; i < 3; i++) instances.push(await startInstance());
    const poll = async () => {
      for (const inst of instances) {
        if (!inst) continue;
        try {
          const ok = (await fetch(`${inst.url}/health/ready`, { signal: AbortSignal.timeout(500) })).status === 200;
          if (ok) healthy.add(inst.url);
          else healthy.delete(inst.url);
        } catch {
          healthy.delete(inst.url);
        }
      }
    };
    await poll();
    pollTimer = setInterval(() => void poll(), 100);
    let next = 0;
    proxy = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      for (let attempt = 0; attempt < 6; attempt++) {
        const targets = [...healthy];
        if (targets.length === 0) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        const target = new URL(targets[next++ % targets.length] as string);
        const sent = await new Promise<boolean>((resolve) => {
          const upstream = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
            up.on('end', () => resolve(true));
          });
          // Refused or reset before a response: nothing was processed there; try another.
          upstream.on('error', () => resolve(res.headersSent));
          upstream.end(body);
        });
        if (sent) return;
      }
      res.writeHead(502, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ code: 'proxy_no_backend' }));
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  });

  afterAll(async () => {
    clearInterval(pollTimer);
    await new Promise((r) => proxy?.close(r));
    for (const inst of instances) await inst?.stop();
    await sim?.close();
    await redis?.stop();
  });

  it(`serves ${SECONDS} s of mixed load through a restart with no connection errors`, async () => {
    const base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const headers = key.headers;
    const sessions: string[] = [];
    for (let i = 0; i < WORKERS; i++) {
      const res = await postJson(`${base}/v1/plugins/code-review/sessions`, { input: { files: [{ path: 'a.ts', content: `const w = ${i};\n` }] } }, { headers });
      expect(res.status).toBe(201);
      sessions.push(((await res.json()) as { sessionId: string }).sessionId);
    }

    const outcomes = new Map<string, number>();
    const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    let clientErrors = 0;
    let n = 0;
    const deadline = Date.now() + SECONDS * 1000;
    const worker = async (w: number) => {
      while (Date.now() < deadline) {
        const kind = n++ % 3;
        try {
          const res =
            kind === 0
              ? await postJson(`${base}/v1/sessions/${sessions[w]}/messages`, { text: `question ${n}` }, { headers })
              : kind === 1
                ? await postJson(`${base}/v1/plugins/code-review/review`, { files: [{ path: 'cached.ts', content: 'export const c = 1;\n' }] }, { headers })
                : await postJson(`${base}/v1/plugins/code-review/review`, { files: [{ path: 'u.ts', content: `export const u = ${n};\n` }] }, { headers: { ...headers, 'cache-control': 'no-cache' } });
          const body = (await res.json()) as { result?: unknown; code?: string };
          if (res.status === 200 && body.result !== undefined) count('result');
          else count(`${res.status} ${body.code ?? 'untyped'}`);
        } catch {
          clientErrors++;
        }
      }
    };

    const restart = (async () => {
      await new Promise((r) => setTimeout(r, Math.min(15_000, (SECONDS * 1000) / 4)));
      const victim = instances[1] as Instance;
      const exited = once(victim.child, 'exit');
      victim.child.kill('SIGTERM');
      const [code] = (await exited) as [number];
      instances[1] = await startInstance();
      return code;
    })();

    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    const victimExit = await restart;

    const summary = Object.fromEntries(outcomes);
    process.stderr.write(`replica load: ${JSON.stringify({ seconds: SECONDS, requests: n, clientErrors, ...summary })}\n`);
    expect(clientErrors).toBe(0);
    expect(victimExit).toBe(0);
    expect(summary.result ?? 0).toBeGreaterThan(20);
    for (const k of Object.keys(summary).filter((o) => o !== 'result')) {
      expect({ outcome: k, typed: /^503 (shutting_down|at_capacity)$/.test(k) }).toEqual({ outcome: k, typed: true });
    }
    for (const id of sessions) {
      const res = await postJson(`${base}/v1/sessions/${id}/messages`, { text: 'still there?' }, { headers });
      expect({ id, status: res.status }).toEqual({ id, status: 200 });
    }
  }, (SECONDS + 90) * 1000);
});
