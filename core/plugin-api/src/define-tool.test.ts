import { z } from 'zod';
import { checkPlugin } from './define-plugin';
import { defineTool, definedToolName } from './define-tool';

const plugin = (define: unknown[], id = 'sql-review') => ({
  id,
  version: '1.0.0',
  description: 'Reviews SQL.',
  systemPrompt: 'You review SQL migrations for safety and correctness.',
  tools: { allow: ['Read'], mode: 'dontAsk', define },
  operations: { review: { description: 'Review.', input: z.strictObject({ sql: z.string() }), output: z.strictObject({ ok: z.boolean() }), prepare: () => ({ prompt: 'x' }), example: { sql: 's' } } },
});

const lint = defineTool({ name: 'lint_sql', description: 'Lints SQL.', input: z.strictObject({ path: z.string() }), run: async ({ path }) => `linted ${path}` });

describe('defineTool', () => {
  it('is declared in the tool policy, and the model sees it as mcp__<plugin>__<name>', () => {
    expect(checkPlugin(plugin([lint]))).toEqual([]);
    expect(definedToolName('sql-review', 'lint_sql')).toBe('mcp__sql-review__lint_sql');
  });

  it('refuses bad names, schemas that are not objects, repeats and names past 64 characters, each with its path', () => {
    const bad = { ...lint, name: 'Lint-SQL' };
    const notObject = { ...lint, name: 'other', input: z.string() };
    expect(checkPlugin(plugin([bad, notObject]))).toEqual([
      'tools.define.0.name: must be lower-case letters, digits and _, starting with a letter, at most 40 long (e.g. dependency_versions)',
      'tools.define.1.input: must be a zod object schema (z.object or z.strictObject)',
    ]);
    expect(checkPlugin(plugin([lint, lint]))).toEqual(['tools.define: must not repeat a tool name']);
    const long = 'a-plugin-id-that-is-rather-long-indeed';
    expect(checkPlugin(plugin([{ ...lint, name: 'a_tool_name_that_is_long' }], long))).toEqual([
      `tools.define.0.name: the model would see "mcp__${long}__a_tool_name_that_is_long" (69 characters; at most 64): shorten the tool name or the plugin id`,
    ]);
  });
});
