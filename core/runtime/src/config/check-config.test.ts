import { join } from 'node:path';
import { BUILTIN_PLUGINS } from '@ccp/server';
import { ConfigError } from './config-error';
import { checkConfig } from './check-config';
import { loadConfig } from './load-config';

const onePass = join(__dirname, '../../../../test/fixtures/one-pass/config.yaml');

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('checkConfig', () => {
  it('reports every problem of one file in one pass: schema, plugins, YAML plugins and plugin ids', () => {
    const list = problems(() => loadConfig({}, onePass, onePass, { builtins: BUILTIN_PLUGINS }));
    expect(list).toEqual([
      'server.bodyLimitBytes: Too small: expected number to be >0',
      expect.stringMatching(/^logging\.level: Invalid option/),
      'plugins.doc-generator.maxTurns: Too small: expected number to be >0',
      'plugins.code-review.tools: Bash not declared by the plugin; config may only narrow its tools (Read, Grep, Glob)',
      expect.stringMatching(/^plugins\.nope: no built-in plugin has this id/),
      expect.stringMatching(/^plugins\.ghost\.module: cannot load "\.\/ghost\.js": Cannot find module/),
      'plugins.boom.module: cannot load "./boom.js": boom: the plugin module failed while loading',
      'plugins.thin (./thin-plugin.js): systemPrompt: must be a real system prompt (20 characters or more)',
      'plugins.sql-helper (../plugins/broken-yaml-plugin.yaml): version: must be a semantic version, e.g. 1.0.0',
      expect.stringMatching(/^plugins\.sql-helper \(\.\.\/plugins\/broken-yaml-plugin\.yaml\): tools\.allow\.1: Invalid option/),
      'plugins.sql-helper (../plugins/broken-yaml-plugin.yaml): operations.run.prompt: template does not compile: Unclosed section "sql" at 16',
      'plugins.sql-helper (../plugins/broken-yaml-plugin.yaml): operations.run.example.sql: Invalid input: expected string, received undefined (the example must be valid input)',
      'plugins.sql-helper (../plugins/broken-yaml-plugin.yaml): operations.run.example: Unrecognized key: "query" (the example must be valid input)',
      expect.stringMatching(/^rateLimits\.plugins\.test-helpr: no plugin "test-helpr" \(served: /),
      expect.stringMatching(/^budgets\.plugins\.migration: no plugin "migration"/),
      expect.stringMatching(/^auth\.keys\.0\.plugins \(key "ci"\): no plugin "code-reveiw"/),
    ]);
  });

  it('still checks plugin ids in keys when another key fails the schema', () => {
    const raw = { auth: { keys: [{ name: 'bad', sha256: 'abc' }, { name: 'ok', sha256: 'a'.repeat(64), plugins: ['nope'] }] } };
    expect(checkConfig(raw, { builtins: BUILTIN_PLUGINS }).problems).toEqual([
      'auth.keys.0.sha256: must be the 64-character hex SHA-256 of the key',
      expect.stringMatching(/^auth\.keys\.1\.plugins \(key "ok"\): no plugin "nope"/),
    ]);
  });

  it('names a top-level key the schema does not know, and still checks the rest', () => {
    expect(checkConfig({ servr: { port: 1 }, budgets: { plugins: { nope: { dailyUsd: 1 } } } }, { builtins: BUILTIN_PLUGINS }).problems).toEqual([
      expect.stringMatching(/^servr: not a configuration key \(the keys: server, logging, /),
      expect.stringMatching(/^budgets\.plugins\.nope: no plugin "nope"/),
    ]);
  });

  it('checks repositories with the rest: names, urls, credentials by variable name only, refs', () => {
    const raw = {
      repositories: [
        { name: 'platform', url: 'https://github.com/acme/platform.git', credentials: { tokenEnv: 'GITHUB_TOKEN' }, defaultBranch: 'main' },
        { name: 'platform', url: 'git@github.com:acme/other.git' },
        { name: 'leaky', url: 'https://bot:ghp_secret@github.com/acme/x.git', credentials: { tokenEnv: 'ghp_0123 456' } },
        { name: 'odd', url: 'ext::sh -c touch', defaultBranch: '--upload-pack=x' },
      ],
      sources: { maxFiles: 0 },
      server: { bodyLimitBytes: 0 },
    };
    expect(checkConfig(raw, { builtins: BUILTIN_PLUGINS }).problems).toEqual([
      expect.stringMatching(/^repositories\.2\.url: must not carry credentials: name the environment variables/),
      'repositories.2.credentials.tokenEnv: must be the name of an environment variable (letters, digits, _), never its value',
      'repositories.3.url: must not contain whitespace or control characters',
      expect.stringMatching(/^repositories\.3\.defaultBranch: must be a branch, tag or ref name/),
      'repositories.1.name: repeats the repository name "platform"',
      'sources.maxFiles: Too small: expected number to be >0',
      'server.bodyLimitBytes: Too small: expected number to be >0',
    ]);
    const ok = checkConfig({ repositories: [{ name: 'platform', url: 'file:///srv/git/platform.git' }] }, { builtins: BUILTIN_PLUGINS });
    expect(ok.problems).toEqual([]);
    expect(ok.config?.sources).toMatchObject({ maxFiles: 25_000, maxDiffBytes: 8 * 1024 * 1024, fetchTimeoutMs: 300_000 });
  });

  it('returns the config when nothing is wrong', () => {
    expect(checkConfig({ server: { port: 1 } }, { builtins: BUILTIN_PLUGINS })).toMatchObject({ config: { server: { port: 1 } }, problems: [] });
  });
});
