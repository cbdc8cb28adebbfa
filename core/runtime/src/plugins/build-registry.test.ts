import { join } from 'node:path';
import { codeReviewPlugin } from '@ccp/plugin-code-review';
import { parseConfig } from '../config/load-config';
import { BUILTIN_PLUGINS } from '@ccp/server';
import { z } from 'zod';
import { buildRegistry, PluginLoadError } from './build-registry';

const fixtures = join(__dirname, '../../../../test/fixtures/plugins');

function problemsOf(plugins: Record<string, unknown>): string[] {
  try {
    buildRegistry(parseConfig({ plugins }), BUILTIN_PLUGINS, fixtures);
  } catch (err) {
    if (err instanceof PluginLoadError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a PluginLoadError');
}

describe('buildRegistry', () => {
  it('registers built-ins by id and applies config overrides', () => {
    const registry = buildRegistry(parseConfig({ plugins: { 'code-review': { model: 'claude-x', maxTurns: 3, timeoutMs: 1000, tools: ['Read'] } } }), BUILTIN_PLUGINS, fixtures);
    const plugin = registry.get('code-review');
    expect(plugin).toMatchObject({ model: 'claude-x', maxTurns: 3, timeoutMs: 1000, tools: { allow: ['Read'], mode: 'dontAsk' }, source: 'built-in' });
    expect(plugin?.definition).toBe(codeReviewPlugin);
    expect(plugin?.operations.get('review')?.outputSchema).toMatchObject({ type: 'object', additionalProperties: false });
  });

  it('serves every built-in unless its section says enabled: false', () => {
    const ids = (plugins: Record<string, unknown>) => buildRegistry(parseConfig({ plugins }), BUILTIN_PLUGINS, fixtures).list().map((p) => p.definition.id);
    expect(ids({})).toEqual(BUILTIN_PLUGINS.map((p) => p.id));
    expect(ids({ 'code-review': { enabled: false } })).toEqual(BUILTIN_PLUGINS.map((p) => p.id).filter((id) => id !== 'code-review'));
    expect(ids({ echo: { module: './echo-plugin.js' } })).toEqual([...BUILTIN_PLUGINS.map((p) => p.id), 'echo']);
  });

  it('loads a plugin module named in config', () => {
    const registry = buildRegistry(parseConfig({ plugins: { echo: { module: './echo-plugin.js' } } }), BUILTIN_PLUGINS, fixtures);
    expect(registry.get('echo')).toMatchObject({ source: 'module ./echo-plugin.js', tools: { allow: [] } });
  });

  it('reports every problem across plugins at once', () => {
    const problems = problemsOf({
      'code-review': { tools: ['Read', 'Bash'] },
      nope: {},
      missing: { module: './does-not-exist.js' },
      'Broken_Plugin': { module: './broken-plugin.js' },
      wrongid: { module: './echo-plugin.js' },
    });
    const text = problems.join('\n');
    expect(text).toContain('plugins.code-review.tools: Bash not declared by the plugin; config may only narrow');
    expect(text).toContain('plugins.nope: no built-in plugin has this id');
    expect(text).toContain('plugins.missing.module: cannot load "./does-not-exist.js"');
    expect(text).toMatch(/plugins\.Broken_Plugin \(\.\/broken-plugin\.js\): id: must be kebab-case/);
    expect(text).toMatch(/plugins\.Broken_Plugin \(\.\/broken-plugin\.js\): tools\.mode/);
    expect(text).toContain('plugins.wrongid: the module declares id "echo"');
  });

  it('refuses a module plugin whose example fails its own input schema', () => {
    const problems = problemsOf({ 'bad-example': { module: './bad-example-plugin.js' } });
    expect(problems).toEqual(['plugins.bad-example (./bad-example-plugin.js): operations.say.example.message: Invalid input: expected string, received number (the example must be valid input)']);
  });

  it('refuses an operation that takes a repository source but has no "source" input field', () => {
    const review = codeReviewPlugin.operations.review;
    if (!review) throw new Error('code-review has a review operation');
    const odd = { ...codeReviewPlugin, id: 'odd-review', operations: { review: { ...review, input: z.strictObject({ files: z.array(z.string()) }), example: { files: [] } } } };
    expect(() => buildRegistry(parseConfig({}), [...BUILTIN_PLUGINS, odd], fixtures)).toThrow(/plugins\.odd-review\.operations\.review\.source: the operation takes a repository source, but its input has no "source" field/);
  });

  it('names where each plugin comes from', () => {
    const registry = buildRegistry(parseConfig({ plugins: { echo: { module: './echo-plugin.js' }, 'release-notes': { module: '@ccp/plugin-release-notes' }, 'commit-message': { definition: join(__dirname, '../../../../config/examples/commit-message.yaml') } } }), BUILTIN_PLUGINS, fixtures);
    expect(Object.fromEntries(registry.list().map((p) => [p.definition.id, p.source]))).toMatchObject({
      'code-review': 'built-in',
      echo: 'module ./echo-plugin.js',
      'release-notes': 'package @ccp/plugin-release-notes',
      'commit-message': expect.stringMatching(/^YAML file \/.*config\/examples\/commit-message\.yaml$/),
    });
  });
});
