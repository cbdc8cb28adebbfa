import { checkPlugin, unsafePathReason } from '@ccp/plugin-api';
import { BUILTIN_PLUGINS } from '@ccp/server';
import { buildRegistry } from '../../core/runtime/src/plugins/build-registry';
import { parseConfig } from '@ccp/runtime';
import { sampleFromSchema } from '@ccp/testing';
import { z } from 'zod';
import { catalogue } from '../catalogue';

// Walks every plugin of the catalogue (built-in, package and YAML) and holds each to the contract.

/** Tools no plugin may hold: they run code or reach the network from the server. */
const NEVER = ['Bash', 'WebFetch', 'WebSearch'];

const registry = buildRegistry(parseConfig({ plugins: catalogue.plugins }), BUILTIN_PLUGINS, catalogue.baseDir);
const plugins = registry.list();

describe('plugin contract', () => {
  it('registers the built-ins, the YAML example and the example package', () => {
    expect(plugins.map((p) => [p.definition.id, p.source])).toEqual([
      ['code-review', 'built-in'],
      ['doc-generator', 'built-in'],
      ['test-helper', 'built-in'],
      ['migration-advisor', 'built-in'],
      ['commit-message', 'YAML file ./examples/commit-message.yaml'],
      ['release-notes', 'package @ccp/plugin-release-notes'],
    ]);
  });

  describe.each(plugins.map((p) => [p.definition.id, p] as const))('%s', (_id, plugin) => {
    const d = plugin.definition;

    it('satisfies the contract shape, with a kebab-case id and a real prompt', () => {
      expect(checkPlugin(d)).toEqual([]);
      expect(d.id).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(d.systemPrompt.length).toBeGreaterThan(200);
    });

    it('keeps its tools within the platform policy', () => {
      for (const tool of plugin.tools.allow) expect(NEVER).not.toContain(tool);
      expect(['dontAsk', 'acceptEdits', 'plan']).toContain(plugin.tools.mode);
      if (plugin.tools.allow.every((t) => ['Read', 'Grep', 'Glob'].includes(t))) expect(plugin.tools.mode).toBe('dontAsk');
    });

    describe.each([...plugin.operations.values()].map((op) => [op.name, op] as const))('operation %s', (_name, op) => {
      it('has schemas that compile to JSON Schema', () => {
        expect(z.toJSONSchema(op.definition.input, { io: 'input' })).toMatchObject({ type: 'object' });
        expect(op.outputSchema).toMatchObject({ type: 'object' });
        expect(op.resultSchema).toMatchObject({ type: 'object' });
      });

      it('accepts its own example and prepares a prompt with safe workspace paths', () => {
        const input = op.definition.input.parse(op.definition.example);
        const prepared = op.definition.prepare(input, {});
        expect(prepared.prompt.length).toBeGreaterThan(0);
        for (const file of prepared.files ?? []) expect(unsafePathReason(file.path)).toBeUndefined();
      });

      it('rejects unknown fields in its input', () => {
        expect(op.definition.input.safeParse({ ...(op.definition.example as object), tools: ['Bash'] }).success).toBe(false);
      });

      it('has an output schema the simulator can answer, and a result that matches its schema', () => {
        const output = op.definition.output.parse(sampleFromSchema(op.outputSchema));
        const input = op.definition.input.parse(op.definition.example);
        const result = op.definition.finish ? op.definition.finish(output, { input, written: [{ path: 'x.test.ts', content: 'x' }] }) : output;
        expect((op.definition.result ?? op.definition.output).safeParse(result).success).toBe(true);
      });
    });
  });
});
