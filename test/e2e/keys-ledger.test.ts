import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postJson, startServerProcess, startSimulator, testKey, waitUntil, type ServerProcess, type Simulator } from '@ccp/testing';
import { stringify } from 'yaml';
import { openPglite } from '../../core/runtime/src/db/pglite-database';

// Keys made at run time and the usage ledger in the embedded database (PGlite in a
// directory), as an operator runs the platform: the built server process, a restart, the
// real claude CLI answering from the simulator, and `npm run keys` on the same directory.

const root = join(__dirname, '../..');
const review = { files: [{ path: 'src/sum.ts', content: 'export const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);\n' }] };
const admin = testKey('ops', { roles: ['admin'] });

/** `npm run keys` as an operator runs it (the built CLI), on the test's config and data directory. */
function keys(env: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, [join(root, 'core/runtime/dist/cli/keys.js'), ...args], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...env }, input: '' });
}

describe('keys and ledger in the embedded database, across a restart', () => {
  let sim: Simulator;
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    sim = await startSimulator();
    dir = mkdtempSync(join(tmpdir(), 'ccp-keys-e2e-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(config, stringify({ auth: { keys: [admin.entry] }, claude: { workspaceRoot: join(dir, 'workspaces') }, pool: { enabled: false }, cache: { enabled: false } }));
    env = { CCP_CONFIG: config, CCP_DATA_DIR: join(dir, 'data'), ANTHROPIC_API_KEY: 'sk-ant-e2e-keys-0000', ANTHROPIC_BASE_URL: sim.url, LOG_LEVEL: 'info' };
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a key made through the API and its calls in the ledger across a restart; revoked, the next call is 401 key_revoked; the secret leaks nowhere', async () => {
    let server: ServerProcess = await startServerProcess({ HOME: tmpdir(), ...env }, 60_000);
    const seen: string[] = [];
    let secret = '';
    try {
      expect(server.url).not.toBe('');
      const made = await postJson(`${server.url}/v1/admin/keys`, { name: 'ci-bot', plugins: ['code-review'] }, { headers: admin.headers });
      expect(made.status).toBe(201);
      const issued = (await made.json()) as { key: { id: string }; secret: string };
      secret = issued.secret;
      const res = await postJson(`${server.url}/v1/plugins/code-review/review`, review, { headers: { authorization: `Bearer ${secret}` } });
      expect(res.status).toBe(200);
      seen.push(await res.text());
      // The embedded database is this server's: npm run keys refuses and says what to do instead.
      const held = keys(env, 'list');
      expect(held.status).toBe(1);
      expect(held.stderr).toMatch(/held by the platform server \(pid \d+\).*POST \/v1\/admin\/keys/s);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    seen.push(server.output());

    server = await startServerProcess({ HOME: tmpdir(), ...env }, 60_000);
    try {
      const key = { authorization: `Bearer ${secret}` };
      expect((await fetch(`${server.url}/v1/plugins`, { headers: key })).status).toBe(200);
      const usage = await fetch(`${server.url}/v1/admin/usage?groupBy=key`, { headers: admin.headers });
      const body = (await usage.json()) as { groups: { keyName: string; calls: number; answered: number; costUsd: number }[] };
      expect(body.groups).toEqual([expect.objectContaining({ keyName: 'ci-bot', calls: 1, answered: 1, costUsd: expect.any(Number) })]);
      expect(body.groups[0]?.costUsd).toBeGreaterThan(0);
      const listed = await fetch(`${server.url}/v1/admin/keys`, { headers: admin.headers });
      const { keys: all } = (await listed.json()) as { keys: { id: string; name: string }[] };
      const id = all.find((k) => k.name === 'ci-bot')?.id ?? '';
      seen.push(JSON.stringify(body), JSON.stringify(all));
      const revoked = await fetch(`${server.url}/v1/admin/keys/${id}`, { method: 'DELETE', headers: admin.headers });
      expect(revoked.status).toBe(200);
      const refused = await postJson(`${server.url}/v1/plugins/code-review/review`, review, { headers: key });
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { code: string }).code).toBe('key_revoked');
      seen.push(await (await fetch(`${server.url}/metrics`)).text());
    } finally {
      expect(await server.stop()).toBe(0);
    }
    seen.push(server.output());
    // With no server on it, npm run keys works on the same directory (an operator's first key, or a rescue).
    const listed = keys(env, 'list');
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/ci-bot {2}revoked/);
    seen.push(listed.stdout);
    // The database itself: keys, secrets (hashes only) and the ledger.
    const db = await openPglite(env.CCP_DATA_DIR as string, 'the test, reading what was stored');
    try {
      const stored = JSON.stringify([await db.query('SELECT * FROM ccp_keys'), await db.query('SELECT * FROM ccp_key_secrets'), await db.query('SELECT * FROM ccp_ledger')]);
      expect(stored).toContain('ci-bot');
      seen.push(stored);
    } finally {
      await db.close();
    }
    for (const text of seen) expect(text).not.toContain(secret);
    expect(seen.join('\n')).toMatch(/"action":"key.created".*"actor":"ops"/);
  }, 120_000);

  it('npm run keys creates, rotates and revokes keys in the database while no server runs; a reload (SIGHUP) keeps the database', async () => {
    const made = keys(env, 'create', '--name', 'cli-bot', '--plugins', 'code-review', '--monthly-usd', '20');
    expect(made.status).toBe(0);
    const secret = /\n {2}(ccp_[A-Za-z0-9_-]{43})\n/.exec(made.stdout)?.[1] ?? '';
    const id = /\((key_[A-Za-z0-9_-]+)\)/.exec(made.stdout)?.[1] ?? '';
    expect(secret).not.toBe('');
    expect(made.stdout).toContain(`secret ${secret.slice(0, 8)}…${secret.slice(-4)}`);
    const rotated = keys(env, 'rotate', id, '--grace-seconds', '60');
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toMatch(/works until/);
    // Each change is an audit line naming who made it, as through the API (never the secret).
    expect(made.stderr).toMatch(/"action":"key.created".*"actor":"npm run keys \(/);
    expect(rotated.stderr).toMatch(/"action":"key.rotated"/);
    expect(made.stderr + rotated.stderr).not.toContain(secret);
    const again = keys(env, 'create', '--name', 'cli-bot');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^key_name_taken:/);
    const server = await startServerProcess({ HOME: tmpdir(), ...env }, 60_000);
    try {
      const auth = { authorization: `Bearer ${secret}` };
      expect((await fetch(`${server.url}/v1/plugins`, { headers: auth })).status).toBe(200);
      // A reload builds a new runtime on the process's database (PGlite is not opened twice).
      server.child.kill('SIGHUP');
      expect(await waitUntil(() => server.output().includes('configuration reloaded'), 30_000)).toBe(true);
      expect((await postJson(`${server.url}/v1/plugins/code-review/review`, review, { headers: auth })).status).toBe(200);
      let calls = 0;
      await waitUntil(async () => {
        const report = (await (await fetch(`${server.url}/v1/usage`, { headers: auth })).json()) as { total: { calls: number } };
        calls = report.total.calls;
        return calls === 1;
      }, 10_000);
      expect(calls).toBe(1);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(keys(env, 'revoke', id).status).toBe(0);
    expect(keys(env, 'show', id).stdout).toMatch(/cli-bot {2}revoked/);
  }, 120_000);
});
