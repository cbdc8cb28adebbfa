import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { postJson, readEventStream, startServerProcess, startSimulator, testKey, waitUntil, type ServerProcess, type Simulator } from '@ccp/testing';

// SIGHUP reloads the config and the plugin set of the running server process without
// dropping a stream in flight; a broken config is refused and the running one kept.

describe('config reload on SIGHUP', () => {
  let sim: Simulator;
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    await server?.stop();
    await sim.close();
  });

  it('switches plugins, keeps the stream in flight and sessions, refuses a broken config', async () => {
    const key = testKey('reload');
    const dir = mkdtempSync(join(tmpdir(), 'ccp-reload-'));
    const file = join(dir, 'c.yaml');
    const base = { auth: { keys: [key.entry] }, claude: { workspaceRoot: join(dir, 'ws') }, cache: { enabled: false } };
    // The file is laid over the shipped config: its plugins (built-ins and commit-message)
    // are served unless a section says enabled: false.
    const off = { 'doc-generator': { enabled: false }, 'test-helper': { enabled: false }, 'migration-advisor': { enabled: false }, 'commit-message': { enabled: false } };
    writeFileSync(file, stringify({ ...base, plugins: { 'code-review': {}, ...off } }));
    server = await startServerProcess({ HOME: dir, CCP_CONFIG: file, ANTHROPIC_API_KEY: 'sk-ant-reload', ANTHROPIC_BASE_URL: sim.url });
    const { url, child } = server;
    const out = () => server?.output() ?? '';
    expect(url).not.toBe('');
    const ids = async () => ((await (await fetch(`${url}/v1/plugins`, { headers: key.headers })).json()) as { plugins: { id: string }[] }).plugins.map((p) => p.id);
    expect(await ids()).toEqual(['code-review']);
    const session = (await (await postJson(`${url}/v1/plugins/code-review/sessions`, {}, { headers: key.headers })).json()) as { sessionId: string };

    sim.setFallback({ auto: true, chunkDelayMs: 150 });
    const stream = postJson(`${url}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'x' }] }, { headers: { ...key.headers, accept: 'text/event-stream' } }).then((r) => readEventStream(r));
    await sim.waitForMessageRequests(1);
    writeFileSync(file, stringify({ ...base, plugins: { ...off, 'code-review': {}, 'doc-generator': {} } }));
    child.kill('SIGHUP');
    expect(await waitUntil(async () => (await ids()).includes('doc-generator'), 10_000)).toBe(true);
    expect((await stream).at(-1)?.event).toBe('result');
    sim.setFallback(undefined);
    expect((await fetch(`${url}/v1/sessions/${session.sessionId}`, { headers: key.headers })).status).toBe(200);

    // Every problem of the broken file in the one message logged: schema, plugin, plugin id.
    writeFileSync(file, stringify({ ...base, server: { sseHeartbeatMs: -1 }, rateLimits: { plugins: { ghost: { limit: 1 } } }, plugins: { nope: {} } }));
    child.kill('SIGHUP');
    expect(await waitUntil(() => out().includes('configuration reload failed'), 10_000)).toBe(true);
    const failed = out().split('\n').find((l) => l.includes('configuration reload failed')) ?? '';
    for (const problem of ['server.sseHeartbeatMs: Too small', 'plugins.nope: no built-in plugin has this id', 'rateLimits.plugins.ghost: no plugin \\"ghost\\"']) expect(failed).toContain(problem);
    expect(await ids()).toEqual(['code-review', 'doc-generator']);
  });
});
