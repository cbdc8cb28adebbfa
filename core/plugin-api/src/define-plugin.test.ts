import { z } from 'zod';
import { checkPlugin, definePlugin, PluginDefinitionError } from './define-plugin';

const good = {
  id: 'sql-review',
  version: '1.2.0',
  description: 'Reviews SQL.',
  systemPrompt: 'You review SQL migrations for safety and correctness.',
  tools: { allow: ['Read', 'Grep'] as const, mode: 'dontAsk' as const },
  operations: {
    review: {
      description: 'Review a migration.',
      input: z.strictObject({ sql: z.string() }),
      output: z.strictObject({ ok: z.boolean() }),
      prepare: (i: { sql: string }) => ({ prompt: i.sql }),
      example: { sql: 'select 1' },
    },
  },
};

describe('definePlugin', () => {
  it('accepts a plugin that satisfies the contract and freezes it', () => {
    const plugin = definePlugin({ ...good, tools: { allow: ['Read', 'Grep'], mode: 'dontAsk' } });
    expect(Object.isFrozen(plugin)).toBe(true);
    expect(checkPlugin(plugin)).toEqual([]);
  });

  it('lets only plugins whose tools all only read take a repository source (its tree is read-only by policy)', () => {
    const withSource = (allow: string[]) => ({ ...good, tools: { allow, mode: 'dontAsk' }, operations: { review: { ...good.operations.review, source: {} } } });
    expect(checkPlugin(withSource(['Read', 'Grep', 'Glob']))).toEqual([]);
    expect(checkPlugin(withSource(['Read', 'Write', 'Bash']))).toEqual(['operations.review.source: only plugins with read-only tools (Read, Grep, Glob) may take a repository source; this one has Write, Bash']);
  });

  it('lists every problem of a broken plugin at once, naming it', () => {
    const broken = {
      ...good,
      id: 'SQL_Review',
      version: 'one',
      systemPrompt: 'short',
      tools: { allow: ['Read', 'Teleport'], mode: 'bypassPermissions' },
      operations: {},
    };
    let error: unknown;
    try {
      definePlugin(broken as never);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PluginDefinitionError);
    const problems = (error as PluginDefinitionError).problems.join('\n');
    expect((error as Error).message).toContain('plugin "SQL_Review"');
    for (const path of ['id:', 'version:', 'systemPrompt:', 'tools.allow.1:', 'tools.mode:', 'operations:']) {
      expect(problems).toContain(path);
    }
  });

  it('refuses unknown keys, so a typo in a policy field cannot pass silently', () => {
    expect(checkPlugin({ ...good, permissionMode: 'bypassPermissions' }).join()).toContain('permissionMode');
  });

  it('refuses an operation whose schemas are not zod schemas', () => {
    const problems = checkPlugin({ ...good, operations: { review: { ...good.operations.review, input: { type: 'object' } } } });
    expect(problems.join()).toContain('operations.review.input: must be a zod 4 schema');
  });

  it('accepts result formats and refuses a reserved name, a media type the runtime answers, repeats and a missing renderer', () => {
    const sarif = { name: 'sarif', mediaType: 'application/sarif+json', description: 'A SARIF log.', render: () => ({}) };
    const withFormats = (formats: unknown[]) => checkPlugin({ ...good, operations: { review: { ...good.operations.review, formats } } });
    expect(withFormats([sarif, { ...sarif, name: 'markdown', mediaType: 'text/markdown' }])).toEqual([]);
    const problems = withFormats([
      { ...sarif, name: 'json' },
      { ...sarif, name: 'SARIF' },
      { ...sarif, name: 'a', mediaType: 'application/json' },
      { ...sarif, name: 'b', mediaType: 'text/markdown; charset=utf-8' },
      { ...sarif, name: 'c', render: 'no' },
    ]).join('\n');
    expect(problems).toContain('operations.review.formats.0.name: "json" is the default answer');
    expect(problems).toContain('operations.review.formats.1.name: must be lower-case kebab-case');
    expect(problems).toContain('operations.review.formats.2.mediaType: must not be application/json');
    expect(problems).toContain('operations.review.formats.3.mediaType: must be a media type without parameters');
    expect(problems).toContain('operations.review.formats.4.render: must be a function');
    expect(withFormats([sarif, sarif]).join()).toContain('must not repeat a format name');
    expect(withFormats([sarif, { ...sarif, name: 'other' }]).join()).toContain('must not repeat a media type');
  });
});
