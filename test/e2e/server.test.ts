import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postJson, startSimulator, testKey, waitUntil, type Simulator } from '@ccp/testing';
import { stringify } from 'yaml';

// `npm start` as an operator runs it: the built server process, configured only through
// the environment and a YAML file. Needs the build (`npm run build`, run by `npm test`).

const SERVER = join(__dirname, '../../core/runtime/dist/server.js');

/** A config file for the server with one API key (auth is on by default). */
function configWithKey(): { file: string; headers: Record<string, string>; key: string } {
  const k = testKey('server-test');
  const dir = mkdtempSync(join(tmpdir(), 'ccp-server-config-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify({ auth: { keys: [k.entry] }, claude: { workspaceRoot: join(dir, 'workspaces') } }));
  return { file, headers: k.headers, key: k.key };
}

function start(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let out = '';
  const child = spawn(process.execPath, [SERVER], { env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

function port(output: string): number {
  const m = /listening on http:\/\/[^:]+:(\d+)/.exec(output);
  return m ? Number(m[1]) : 0;
}

describe('the server process', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.close());

  it('starts without credentials, says so, and refuses queries with a 503 that says what to do', async () => {
    const cfg = configWithKey();
    const { child, output } = start({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', CCP_CONFIG: cfg.file });
    try {
      expect(await waitUntil(() => port(output()) > 0, 15_000)).toBe(true);
      expect(output()).toContain('No Anthropic credentials are set');
      const base = `http://127.0.0.1:${port(output())}`;
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
      const ready = await fetch(`${base}/health/ready`);
      expect(ready.status).toBe(503);
      expect(JSON.stringify(await ready.json())).toContain('ANTHROPIC_API_KEY');
      expect((await postJson(`${base}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'x' }] })).status).toBe(401);
      const res = await postJson(`${base}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'x' }] }, { headers: cfg.headers });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { code: string }).code).toBe('credentials_missing');
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });

  it('serves a review with credentials from the environment, and never logs the key', async () => {
    const key = 'sk-ant-server-canary-91c2';
    const cfg = configWithKey();
    const { child, output } = start({ PORT: '0', HOST: '127.0.0.1', ANTHROPIC_API_KEY: key, ANTHROPIC_BASE_URL: sim.url, LOG_LEVEL: 'debug', CCP_CONFIG: cfg.file });
    try {
      expect(await waitUntil(() => port(output()) > 0, 15_000)).toBe(true);
      const res = await postJson(`http://127.0.0.1:${port(output())}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'x' }] }, { headers: cfg.headers });
      expect(res.status).toBe(200);
      expect(sim.messageRequests().at(-1)?.headers['x-api-key']).toBe(key);
    } finally {
      expect(await stop(child)).toBe(0);
    }
    expect(output()).not.toContain(key);
    expect(output()).not.toContain(cfg.key);
    expect(output()).toContain('"authorization":"[redacted]"');
    expect(output()).toContain('"audit":true');
  });

  it('exits non-zero on an invalid config and lists every problem at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccp-bad-config-'));
    writeFileSync(join(dir, 'bad.yaml'), 'server:\n  port: -1\nlogging:\n  level: loud\nplugins:\n  nope: {}\n');
    const { child, output } = start({ CCP_CONFIG: join(dir, 'bad.yaml') });
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(output()).toContain('server.port');
    expect(output()).toContain('logging.level');
  });

  it('exits non-zero naming a plugin that cannot be loaded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccp-bad-plugin-'));
    writeFileSync(join(dir, 'c.yaml'), 'plugins:\n  ghost:\n    module: ./ghost.js\n  nope: {}\n');
    const { child, output } = start({ CCP_CONFIG: join(dir, 'c.yaml') });
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(output()).toContain('plugins.ghost.module: cannot load "./ghost.js"');
    expect(output()).toContain('plugins.nope: no built-in plugin has this id');
  });
});
