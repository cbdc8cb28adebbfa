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

  it('returns the config when nothing is wrong', () => {
    expect(checkConfig({ server: { port: 1 } }, { builtins: BUILTIN_PLUGINS })).toMatchObject({ config: { server: { port: 1 } }, problems: [] });
  });
});
