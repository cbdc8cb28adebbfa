import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServerProcess, startSimulator, waitUntil, type Simulator } from '@ccp/testing';
import { rawRequest } from './support/calls';
import { review } from './support/helpers';
import { expectProblem, must } from './support/problems';
import { GOOD_CALL, Probe, PROBE_TIMEOUT_MS, saveUnfinishedProbes } from './support/probe';
import { Recorder } from './support/recorder';
import { bootServer, killLeftoverServers, prepareServer, type FaultServer } from './support/server';

// The audit file on a full disk (/dev/full: every write fails with ENOSPC) and on a path
// that cannot be created. A full disk never freezes the server: calls go on (readiness
// degraded, failures counted) or, with audit.onFailure: refuse, are refused with a typed
// 503 while every call still leaves its line on stdout; SIGTERM always works. A path that
// cannot be opened stops the boot with a config error naming audit.file and why, reported
// with the other config errors in one pass, without a stack trace.

const OP = '/v1/plugins/code-review/review';

interface Ready {
  status: string;
  components: Record<string, { status: string; detail?: string }>;
}

describe('the audit sink', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    saveUnfinishedProbes();
    await killLeftoverServers();
    await sim.close();
  });

  const ready = async (p: Probe) => {
    const res = await p.get('/health/ready', '/health/ready', { as: 'admin' });
    return { status: res.status, body: (res.json ?? {}) as unknown as Ready };
  };

  it('on /dev/full (audit.onFailure: continue)', async () => {
    const server: FaultServer = await bootServer({ simulator: sim, config: { audit: { file: '/dev/full' } } });
    const p = new Probe('audit.file on /dev/full', server, 'calls while every write to the audit file fails');
    await p.attempt('a refused call and an answered one, each audited on stdout', async () => {
      expectProblem(await p.post('invalid input', OP, { files: [] }), 'invalid_input');
    });
    await p.attempt('readiness 200 and degraded, the failures counted', async () => {
      const degraded = await waitUntil(async () => (await ready(p)).body.components?.audit?.status === 'degraded', 5000, 100);
      must(degraded, 'the audit component', 'degraded', (await ready(p)).body.components?.audit);
      const { status, body } = await ready(p);
      must(status === 200 && body.status === 'degraded', '/health/ready', '200 degraded', `${status} ${body.status}`);
      const metrics = await rawRequest(server.url, { method: 'GET', path: '/metrics' });
      const failures = Number(/^ccp_audit_write_failures_total (\d+)/m.exec(metrics.text)?.[1] ?? 0);
      must(failures > 0, 'ccp_audit_write_failures_total', '> 0', failures);
    });
    await p.attempt('ten more calls in a row, none held up', async () => {
      for (let i = 0; i < 10; i++) {
        const res = await p.post(`call ${i + 1}`, GOOD_CALL.path, GOOD_CALL.body, { timeoutMs: 5000 });
        must(res.status === 200 && res.ms < 2000, `call ${i + 1}`, '200 within 2 s', `${res.status} in ${res.ms} ms`);
      }
    });
    await p.finish({ shutdown: true, shutdownWithinMs: 5000 });
  }, PROBE_TIMEOUT_MS);

  it('on /dev/full (audit.onFailure: refuse)', async () => {
    const server: FaultServer = await bootServer({ simulator: sim, config: { audit: { file: '/dev/full', onFailure: 'refuse' } } });
    const p = new Probe('audit.file on /dev/full, onFailure refuse', server, 'calls once the audit file is known to fail');
    const refusing = { goodCall: false };
    await p.attempt('the first audited call (its write fails)', async () => {
      expectProblem(await p.post('invalid input', OP, { files: [] }), 'invalid_input');
    }, refusing);
    await p.attempt('readiness turns 503 with the audit down', async () => {
      const down = await waitUntil(async () => (await ready(p)).status === 503, 5000, 100);
      const { status, body } = await ready(p);
      must(down && body.components?.audit?.status === 'down', '/health/ready', '503 with the audit down', `${status} ${JSON.stringify(body.components?.audit)}`);
    }, refusing);
    await p.attempt('new calls are refused 503 audit_unavailable, each audited on stdout', async () => {
      expectProblem(await p.post('an operation', GOOD_CALL.path, GOOD_CALL.body), 'audit_unavailable', { retry: true });
      expectProblem(await p.post('a session start', '/v1/plugins/code-review/sessions', { operation: 'review', input: review() }), 'audit_unavailable', { retry: true });
    }, refusing);
    // The next good call is refused by design here: the server is asked to stop instead.
    await p.finish({ agentCall: false, shutdown: true, shutdownWithinMs: 5000 });
  }, PROBE_TIMEOUT_MS);

  it('on a path that cannot be created: a config error at boot', async () => {
    const row = new Recorder('audit.file that cannot be created', 'one boot with audit.file where no file can be made (and another config error)');
    const cases: [string, (dir: string) => string][] = [
      ['a directory', (dir) => dir],
      ['under a regular file', (dir) => join(dir, 'config.yaml', 'audit.log')],
      ['in /proc', () => '/proc/ccp-audit.log'],
    ];
    for (const [label, path] of cases) {
      await row.run(label, async () => {
        const prepared = prepareServer({ simulator: sim });
        const file = path(prepared.dir);
        // The same file, plus one more mistake: both must be reported in one message.
        writeFileSync(prepared.env.CCP_CONFIG as string, `audit: { file: ${JSON.stringify(file)} }\nrateLimits: { perKey: 0 }\nclaude: { workspaceRoot: ${JSON.stringify(prepared.workspaceRoot)} }\n`);
        const server = await startServerProcess(prepared.env, 10_000);
        try {
          must(server.url === '' && server.child.exitCode === 1, 'the boot', 'exit 1 before listening', server.url ? `listening at ${server.url}` : `exit ${server.child.exitCode}`);
          const out = server.errors();
          must(/audit\.file/.test(out) && out.includes(file), 'the error', `names audit.file and ${file}`, out.slice(0, 300));
          must(/rateLimits\.perKey/.test(out), 'the error', 'names rateLimits.perKey too (one pass)', out.slice(0, 300));
          must(!/^\s+at /m.test(out) && !/Unhandled 'error' event/.test(out), 'the error', 'no stack trace', out.slice(0, 300));
        } finally {
          if (server.child.exitCode === null) server.child.kill('SIGKILL');
        }
      });
    }
    row.done();
  }, PROBE_TIMEOUT_MS);
});
