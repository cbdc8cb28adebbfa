import { BUILTIN_PLUGINS } from '@ccp/server';
import { parseConfig } from '@ccp/runtime';
import { buildRegistry } from '../../core/runtime/src/plugins/build-registry';
import { fieldErrors } from '../../core/runtime/src/calls/plan';
import { validate, type Schema } from '../../packages/console/src/schema-form';
import { catalogue } from '../catalogue';

// The console's playground checks a form before it sends it, from the operation's published
// JSON Schema alone. For each operation and a set of broken inputs made from its example, the
// console must find exactly the field errors the server's own parse finds, in the same words.

const registry = buildRegistry(parseConfig({ plugins: catalogue.plugins }), BUILTIN_PLUGINS, catalogue.baseDir);

type Input = Record<string, unknown>;
const clone = (v: Input): Input => structuredClone(v);

/** Broken variants of an example: each named by what was broken. */
function variants(schema: Schema, example: Input): [string, Input][] {
  const out: [string, Input][] = [['the example itself', clone(example)]];
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  const required = (schema.required ?? []) as string[];
  for (const k of required) {
    const v = clone(example);
    delete v[k];
    out.push([`without ${k}`, v]);
  }
  out.push(['with an unknown field', { ...clone(example), extra: 1 }]);
  for (const [k, sub] of Object.entries(props)) {
    if (example[k] === undefined) continue;
    if (Array.isArray(sub.enum)) out.push([`${k} not one of its values`, { ...clone(example), [k]: 'no-such-value' }]);
    if (sub.type === 'string' && typeof sub.minLength === 'number') out.push([`${k} empty`, { ...clone(example), [k]: '' }]);
    if (sub.type === 'array' && Array.isArray(example[k]) && typeof sub.minItems === 'number') out.push([`${k} empty`, { ...clone(example), [k]: [] }]);
    const items = sub.items as Schema | undefined;
    if (items?.properties && 'path' in (items.properties as object)) {
      for (const bad of ['', '/etc/passwd', '../outside.ts', 'a/.git/config', 'back\\slash.ts', '.claude/settings.json']) {
        const v = clone(example);
        ((v[k] as Input[])[0] as Input).path = bad;
        out.push([`${k}[0].path ${JSON.stringify(bad)}`, v]);
      }
      const v = clone(example);
      delete ((v[k] as Input[])[0] as Input).content;
      out.push([`${k}[0] without content`, v]);
    }
  }
  return out;
}

const cases = registry.list().flatMap((p) =>
  [...p.operations.values()].flatMap((op) => {
    const example = op.definition.example as Input | undefined;
    if (!example) return [];
    return variants(op.inputSchema, example).map(([what, input]) => ({ name: `${p.definition.id}.${op.name} ${what}`, schema: op.inputSchema, parse: op.definition.input, input }));
  }),
);

describe("the console's form validation", () => {
  it('covers every operation with an example', () => {
    expect(new Set(cases.map((c) => c.name.split(' ')[0])).size).toBeGreaterThanOrEqual(4);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: the same field errors as the server', (_name, c) => {
    const parsed = c.parse.safeParse(c.input);
    const server = parsed.success ? [] : fieldErrors(parsed.error);
    const client = validate(c.schema, c.input);
    const key = (e: { field: string; message: string }) => `${e.field}: ${e.message}`;
    expect(client.map(key).sort()).toEqual(server.map(key).sort());
  });
});
