import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { postJson, startServerProcess, startSimulator, testKey, waitUntil, type ServerProcess, type Simulator } from '@ccp/testing';

// The audit file on a full disk (/dev/full: every write fails with ENOSPC), in the real
// server process. The process must keep serving (or refuse calls, if so configured),
// say so on /health/ready and /metrics, and still exit 0 on SIGTERM.

const review = (n: number) => ({ files: [{ path: 'a.ts', content: `export const a = ${n};\n` }] });

interface Ready {
  status: string;
  components: Record<string, { status: string; detail?: string; failedWrites?: number }>;
}

describe('an audit file that cannot be written', () => {
  let sim: Simulator;
  const started: ServerProcess[] = [];
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    for (const server of started) if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await sim.close();
  });

  async function start(audit: Record<string, unknown>) {
    const admin = testKey('audit-admin', { roles: ['user', 'admin'] });
    // Every call of this key is refused by its budget: audited (so written), without a query.
    const broke = testKey('audit-broke', { budget: { dailyUsd: 0.01 } });
    const dir = mkdtempSync(join(tmpdir(), 'ccp-audit-full-'));
    writeFileSync(
      join(dir, 'c.yaml'),
      stringify({ auth: { keys: [admin.entry, broke.entry] }, audit, claude: { workspaceRoot: join(dir, 'workspaces'), maxRetries: 0 }, cache: { enabled: false }, budgets: { reservationUsd: 0.5 } }),
    );
    const server = await startServerProcess({ HOME: dir, CCP_CONFIG: join(dir, 'c.yaml'), ANTHROPIC_API_KEY: 'sk-ant-audit-full', ANTHROPIC_BASE_URL: sim.url });
    started.push(server);
    expect(server.url).not.toBe('');
    const call = (headers: Record<string, string>, n: number, timeoutMs: number) =>
      postJson(`${server.url}/v1/plugins/code-review/review`, review(n), { headers, signal: AbortSignal.timeout(timeoutMs) });
    const ready = async (headers: Record<string, string> = admin.headers) => {
      const res = await fetch(`${server.url}/health/ready`, { headers, signal: AbortSignal.timeout(1000) });
      return { status: res.status, body: (await res.json()) as Ready };
    };
    return { server, admin: admin.headers, broke: broke.headers, call, ready };
  }

  /** SIGTERM, then the exit code, or `timeout` if it takes longer than `ms`. */
  async function terminate(server: ServerProcess, ms: number): Promise<number | null | 'timeout'> {
    const exited = once(server.child, 'exit').then(([code]) => code as number | null);
    server.child.kill('SIGTERM');
    return Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())]);
  }

  it('with audit.onFailure continue (the default): calls go on, readiness says degraded, the failures are counted, SIGTERM exits 0', async () => {
    const { server, admin, broke, call, ready } = await start({ file: '/dev/full' });
    expect((await call(admin, 1, 30_000)).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await call(broke, 100 + i, 2_000)).status).toBe(402);
    expect(await waitUntil(async () => (await ready()).body.components.audit?.status === 'degraded', 5_000)).toBe(true);
    // The next call is served all the same.
    expect((await call(admin, 2, 30_000)).status).toBe(200);

    const asked = Date.now();
    expect((await fetch(`${server.url}/health/live`, { signal: AbortSignal.timeout(1000) })).status).toBe(200);
    expect(Date.now() - asked).toBeLessThan(1000);

    const { status, body } = await ready();
    expect(status).toBe(200);
    expect(body.status).toBe('degraded');
    expect(body.components.audit).toMatchObject({ status: 'degraded', detail: expect.stringContaining('ENOSPC') });
    const metrics = await (await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(1000) })).text();
    const failures = Number(/^ccp_audit_write_failures_total (\d+)/m.exec(metrics)?.[1] ?? 0);
    expect(failures).toBeGreaterThan(0);
    expect(server.output()).toContain('the audit file cannot be written');

    expect(await terminate(server, 5_000)).toBe(0);
  });

  it('with audit.onFailure refuse: readiness turns 503 with the audit down, its detail only for an admin key, and SIGTERM exits 0', async () => {
    const { server, admin, broke, call, ready } = await start({ file: '/dev/full', onFailure: 'refuse' });
    expect((await ready()).status).toBe(200);
    expect((await call(broke, 1, 2_000)).status).toBe(402);
    expect(await waitUntil(async () => (await ready()).status === 503, 5_000)).toBe(true);

    const seen = await ready(admin);
    expect(seen.body.status).toBe('not_ready');
    expect(seen.body.components.audit).toMatchObject({ status: 'down', detail: expect.stringContaining('audit_unavailable') });
    // A caller without the admin role sees the statuses only.
    const user = await ready(broke);
    expect(user.status).toBe(503);
    expect(user.body.components.audit).toEqual({ status: 'down' });
    expect((await fetch(`${server.url}/health/live`, { signal: AbortSignal.timeout(1000) })).status).toBe(200);

    expect(await terminate(server, 5_000)).toBe(0);
  });
});
