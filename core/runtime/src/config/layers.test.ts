import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_PLUGINS, SHIPPED_CONFIG_FILE } from '@ccp/server';
import { stringify } from 'yaml';
import { buildRegistry } from '../plugins/build-registry';
import { loadConfig } from './load-config';
import { mergeLayers } from './layers';

const sha = (c: string) => c.repeat(64);
const sqlHelper = {
  version: '1.0.0',
  description: 'Explains a SQL query.',
  systemPrompt: 'You explain SQL queries to developers, briefly and exactly.',
  engine: 'messages',
  tools: { allow: [], mode: 'dontAsk' },
  operations: {
    explain: {
      description: 'Explain a query.',
      input: { type: 'object', required: ['sql'], properties: { sql: { type: 'string', minLength: 1 } } },
      output: { type: 'object', required: ['explanation'], properties: { explanation: { type: 'string' } } },
      prompt: 'Explain this query: {{sql}}',
      example: { sql: 'select 1' },
    },
  },
};

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'ccp-layers-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

describe('config layers', () => {
  it('merges mappings key by key and replaces arrays and scalars', () => {
    expect(mergeLayers({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, e: 2 })).toEqual({ a: { b: 1, c: [3] }, d: 1, e: 2 });
  });

  it('replaces a plugin source as one choice and a definition whole', () => {
    const lower = { plugins: { p: { definition: { version: '1.0.0', operations: { a: {} } }, model: 'm' } } };
    expect(mergeLayers(lower, { plugins: { p: { module: './p.js' } } })).toEqual({ plugins: { p: { module: './p.js', model: 'm' } } });
    expect(mergeLayers(lower, { plugins: { p: { definition: { version: '2.0.0' } } } })).toEqual({ plugins: { p: { definition: { version: '2.0.0' }, model: 'm' } } });
  });

  it('keeps every built-in and every shipped plugin under a five-line file that adds one key and one YAML plugin', () => {
    const d = dir({ 'ops.yaml': 'server:\n  port: 9090\nplugins:\n  sql-helper:\n    definition: ./sql-helper.yaml\n', 'sql-helper.yaml': stringify(sqlHelper) });
    const loaded = loadConfig({ CCP_CONFIG: join(d, 'ops.yaml') }, undefined, SHIPPED_CONFIG_FILE, { builtins: BUILTIN_PLUGINS });
    expect(loaded.files).toEqual([SHIPPED_CONFIG_FILE, join(d, 'ops.yaml')]);
    expect(loaded.source).toBe(`${join(d, 'ops.yaml')} over ${SHIPPED_CONFIG_FILE}`);
    expect(loaded.config.server).toMatchObject({ port: 9090, host: '0.0.0.0', bodyLimitBytes: 2097152 });
    const served = buildRegistry(loaded.config, BUILTIN_PLUGINS, loaded.baseDir).list().map((p) => [p.definition.id, p.source]);
    expect(served).toEqual([
      ['code-review', 'built-in'],
      ['doc-generator', 'built-in'],
      ['test-helper', 'built-in'],
      ['migration-advisor', 'built-in'],
      ['commit-message', `YAML file ${join(SHIPPED_CONFIG_FILE, '../examples/commit-message.yaml')}`],
      ['sql-helper', 'YAML file ./sql-helper.yaml'],
    ]);
  });

  it('turns a plugin off only when a layer says enabled: false, keeps the shipped definition under a partial section', () => {
    const d = dir({ 'ops.yaml': stringify({ plugins: { 'doc-generator': { enabled: false }, 'commit-message': { model: 'claude-haiku-4-5' } } }) });
    const { config, baseDir } = loadConfig({}, join(d, 'ops.yaml'), SHIPPED_CONFIG_FILE);
    const registry = buildRegistry(config, BUILTIN_PLUGINS, baseDir);
    expect(registry.list().map((p) => p.definition.id)).toEqual(['code-review', 'test-helper', 'migration-advisor', 'commit-message']);
    expect(registry.get('commit-message')?.model).toBe('claude-haiku-4-5');
  });

  it("replaces auth.keys: the keys are the operator's file's alone", () => {
    const key = (name: string, c: string) => ({ name, sha256: sha(c) });
    const d = dir({ 'shipped.yaml': stringify({ auth: { keys: [key('shipped', 'a')] }, server: { port: 1 } }), 'ops.yaml': stringify({ auth: { keys: [key('ops', 'b')] } }) });
    const { config } = loadConfig({}, join(d, 'ops.yaml'), join(d, 'shipped.yaml'));
    expect(config.auth.keys.map((k) => k.name)).toEqual(['ops']);
    expect(config.server.port).toBe(1);
  });

  it('applies environment overrides last, over every layer', () => {
    const d = dir({ 'ops.yaml': 'server:\n  port: 9090\n' });
    expect(loadConfig({ PORT: '7070' }, join(d, 'ops.yaml'), SHIPPED_CONFIG_FILE).config.server.port).toBe(7070);
  });
});
