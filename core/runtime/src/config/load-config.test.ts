import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from './load-config';

function file(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ccp-config-'));
  writeFileSync(join(dir, 'c.yaml'), yaml);
  return join(dir, 'c.yaml');
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('loads the shipped default config with the code-review plugin enabled', () => {
    const { config, source } = loadConfig({});
    expect(source).toMatch(/config\/default\.yaml$/);
    expect(config.server.port).toBe(8080);
    expect(config.plugins['code-review']?.enabled).toBe(true);
  });

  it('reports every error at once, each with its path', () => {
    const path = file('server:\n  port: "eighty"\nbreaker:\n  errorThresholdPercentage: 500\nplugins:\n  code-review:\n    maxTurns: -1\n    tools: [Teleport]\n');
    const list = problems(() => loadConfig({}, path));
    expect(list).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^server\.port: /),
        expect.stringMatching(/^breaker\.errorThresholdPercentage: /),
        expect.stringMatching(/^plugins\.code-review\.maxTurns: /),
        expect.stringMatching(/^plugins\.code-review\.tools\.0: /),
      ]),
    );
    expect(list).toHaveLength(4);
  });

  it('reports an audit.file that cannot be appended to together with the schema problems', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccp-config-audit-'));
    const list = problems(() => loadConfig({}, file(`server:\n  port: "eighty"\naudit:\n  file: ${dir}\n`)));
    expect(list).toEqual([expect.stringMatching(/^server\.port: /), `audit.file: ${JSON.stringify(dir)} is a directory; name a file in it`]);
    expect(problems(() => loadConfig({}, file('audit:\n  file: /proc/self/audit.log\n')))).toEqual([expect.stringMatching(/^audit\.file: "\/proc\/self\/audit\.log" is on \/proc/)]);
    expect(problems(() => parseConfig({ audit: { file: dir } }))).toEqual([expect.stringMatching(/^audit\.file: .* is a directory/)]);
    expect(loadConfig({}, file(`audit:\n  file: ${join(dir, 'audit.log')}\n`)).config.audit).toEqual({ file: join(dir, 'audit.log'), onFailure: 'continue' });
  });

  it('refuses a secret written into the file: secrets come from the environment only', () => {
    const list = problems(() => loadConfig({}, file('claude:\n  apiKey: sk-ant-oops\n')));
    expect(list.join()).toContain('apiKey');
    expect(list.join()).not.toContain('sk-ant-oops');
  });

  it('applies documented environment overrides and names them in errors', () => {
    expect(loadConfig({ PORT: '9999', LOG_LEVEL: 'debug' }).config.server.port).toBe(9999);
    expect(problems(() => loadConfig({ PORT: 'nope' }))).toEqual([expect.stringContaining('(from PORT)')]);
  });

  it('reads CCP_CONFIG and fails clearly when it names a missing file', () => {
    expect(loadConfig({ CCP_CONFIG: file('server:\n  port: 1234\n') }).config.server.port).toBe(1234);
    expect(problems(() => loadConfig({ CCP_CONFIG: '/nonexistent/c.yaml' }))).toEqual(['CCP_CONFIG names a file that does not exist']);
  });

  it('reports YAML syntax errors', () => {
    expect(problems(() => loadConfig({}, file('server: [unclosed\n')))[0]).toMatch(/^YAML: /);
  });

  it('freezes the result', () => {
    const { config } = loadConfig({});
    expect(Object.isFrozen(config.server)).toBe(true);
    expect(() => {
      (config.server as { port: number }).port = 1;
    }).toThrow();
  });
});
