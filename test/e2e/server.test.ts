import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postJson, startServerProcess, startSimulator, testKey, type Simulator } from '@ccp/testing';
import { stringify } from 'yaml';

// `npm start` as an operator runs it: the built server process, configured only through
// the environment and a YAML file. Needs the build (`npm run build`, run by `npm test`).

/** A config file for the server with a user and an admin API key (auth is on by default). */
function configWithKey(): { file: string; headers: Record<string, string>; adminHeaders: Record<string, string>; key: string } {
  const k = testKey('server-test');
  const admin = testKey('server-admin', { roles: ['admin'] });
  const dir = mkdtempSync(join(tmpdir(), 'ccp-server-config-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify({ auth: { keys: [k.entry, admin.entry] }, claude: { workspaceRoot: join(dir, 'workspaces') } }));
  return { file, headers: k.headers, adminHeaders: admin.headers, key: k.key };
}

function start(env: Record<string, string>) {
  return startServerProcess({ HOME: tmpdir(), ...env });
}



describe('the server process', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.close());

  it('starts without credentials, says so, and refuses queries with a 503 that says what to do', async () => {
    const cfg = configWithKey();
    const server = await start({ LOG_LEVEL: 'info', CCP_CONFIG: cfg.file });
    try {
      expect(server.url).not.toBe('');
      expect(server.output()).toContain('No Anthropic credentials are set');
      const base = server.url;
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
      const ready = await fetch(`${base}/health/ready`);
      expect(ready.status).toBe(503);
      // Without an admin key: each component's status, no detail.
      const statuses = (await ready.json()) as { status: string; components: Record<string, unknown> };
      expect(statuses).toMatchObject({ status: 'not_ready', components: { credentials: { status: 'down' } } });
      expect(JSON.stringify(statuses)).not.toMatch(/ANTHROPIC_API_KEY|"keys"|code-review/);
      const detailed = await fetch(`${base}/health/ready`, { headers: cfg.adminHeaders });
      expect(detailed.status).toBe(503);
      expect(JSON.stringify(await detailed.json())).toContain('ANTHROPIC_API_KEY');
      expect((await postJson(`${base}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'x' }] })).status).toBe(401);
      const res = await postJson(`${base}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'x' }] }, { headers: cfg.headers });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { code: string }).code).toBe('credentials_missing');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('serves a review with credentials from the environment, and never logs the key', async () => {
    const key = 'sk-ant-server-canary-91c2';
    const cfg = configWithKey();
    const server = await start({ ANTHROPIC_API_KEY: key, ANTHROPIC_BASE_URL: sim.url, LOG_LEVEL: 'debug', CCP_CONFIG: cfg.file });
    const output = () => server.output();
    try {
      const res = await postJson(`${server.url}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'x' }] }, { headers: cfg.headers });
      expect(res.status).toBe(200);
      expect(sim.messageRequests().at(-1)?.headers['x-api-key']).toBe(key);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(output()).not.toContain(key);
    expect(output()).not.toContain(cfg.key);
    expect(output()).toContain('"authorization":"[redacted]"');
    expect(output()).toContain('"audit":true');
  });

  it('exits non-zero on an invalid config and lists every problem at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccp-bad-config-'));
    writeFileSync(join(dir, 'bad.yaml'), `server:\n  bodyLimitBytes: -1\nlogging:\n  level: loud\naudit:\n  file: ${dir}\nplugins:\n  nope: {}\n`);
    const server = await start({ CCP_CONFIG: join(dir, 'bad.yaml') });
    expect(await server.stop()).toBe(1);
    expect(server.output()).toContain('server.bodyLimitBytes');
    expect(server.output()).toContain('logging.level');
    expect(server.output()).toContain(`audit.file: "${dir}" is a directory`);
  });

  it('exits 1 with a config error, not a stack trace, for an audit.file that cannot be a log file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccp-bad-audit-'));
    for (const file of [dir, '/proc/self/audit.log']) {
      writeFileSync(join(dir, 'c.yaml'), stringify({ audit: { file }, claude: { workspaceRoot: join(dir, 'workspaces') } }));
      const server = await start({ CCP_CONFIG: join(dir, 'c.yaml') });
      expect(await server.stop()).toBe(1);
      expect(server.output()).toMatch(/^claude-code-platform: invalid configuration/);
      expect(server.output()).toContain(`audit.file: "${file}" is`);
      expect(server.output()).not.toMatch(/Unhandled 'error'|\n\s+at /);
    }
  });

  it('checks the whole config in one pass: every problem of every kind on stderr, exit 1', async () => {
    const server = await start({ CCP_CONFIG: join(__dirname, '../fixtures/one-pass/config.yaml') });
    expect(await server.stop()).toBe(1);
    const stderr = server.errors();
    expect(stderr).toMatch(/^claude-code-platform: invalid configuration \(.*one-pass\/config\.yaml.*\), \d+ problems:\n/);
    for (const problem of [
      'server.bodyLimitBytes: Too small: expected number to be >0',
      'logging.level: Invalid option',
      'plugins.doc-generator.maxTurns: Too small',
      'plugins.code-review.tools: Bash not declared by the plugin',
      'plugins.nope: no built-in plugin has this id',
      'plugins.ghost.module: cannot load "./ghost.js"',
      'plugins.boom.module: cannot load "./boom.js": boom: the plugin module failed while loading',
      'plugins.thin (./thin-plugin.js): systemPrompt: must be a real system prompt',
      'plugins.sql-helper (../plugins/broken-yaml-plugin.yaml): version: must be a semantic version',
      'plugins.sql-helper (../plugins/broken-yaml-plugin.yaml): tools.allow.1: Invalid option',
      'plugins.sql-helper (../plugins/broken-yaml-plugin.yaml): operations.run.prompt: template does not compile: Unclosed section "sql"',
      'plugins.sql-helper (../plugins/broken-yaml-plugin.yaml): operations.run.example.sql: Invalid input',
      'plugins.sql-helper (../plugins/broken-yaml-plugin.yaml): operations.run.example: Unrecognized key: "query"',
      'rateLimits.plugins.test-helpr: no plugin "test-helpr"',
      'budgets.plugins.migration: no plugin "migration"',
      'auth.keys.0.plugins (key "ci"): no plugin "code-reveiw"',
    ]) {
      expect(stderr).toContain(`\n  - ${problem}`);
    }
    expect(stderr).not.toContain('no plugin "ghost"'); // reported once, as the module that fails to load
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('exits non-zero naming a plugin that cannot be loaded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccp-bad-plugin-'));
    writeFileSync(join(dir, 'c.yaml'), 'plugins:\n  ghost:\n    module: ./ghost.js\n  nope: {}\n');
    const server = await start({ CCP_CONFIG: join(dir, 'c.yaml') });
    expect(await server.stop()).toBe(1);
    expect(server.output()).toContain('plugins.ghost.module: cannot load "./ghost.js"');
    expect(server.output()).toContain('plugins.nope: no built-in plugin has this id');
  });
});
