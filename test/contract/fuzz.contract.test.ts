import { posix } from 'node:path';
import { WORKSPACE_PATH_FORMAT } from '@ccp/plugin-api';
import { MESSAGES_ENGINE, override, type ClaudeEvent, type ClaudeRequest, type Runtime } from '@ccp/runtime';
import { FakeEngine, sampleFromSchema, unitRuntime } from '@ccp/testing';
import Ajv2020 from 'ajv/dist/2020';
import request from 'supertest';
import { catalogue } from '../catalogue';

// Bodies generated with json-schema-faker from each operation's input schema as /openapi.json
// publishes it, against the real call pipeline with a fake engine: a body the published
// schema accepts is never refused with 400, and one it refuses never gets through. What the
// schema cannot say (docs/plugins.md, "Input rules") is checked here from its documentation.

const SEED = 20261203;
const PER_OPERATION = 40;
/** Small enough that no generated body nears a size limit checked only in code. */
const GENERATION = { maxItems: 3, maxLength: 24 } as const;

type Json = Record<string, unknown>;
type Schema = Json & { properties?: Record<string, Json>; required?: string[]; oneOf?: { required: string[] }[] };
type Random = { int(min: number, max: number): number; next(): number };

/**
 * The schema with every `maxLength` and `maxItems` lowered to {@link GENERATION}: faker
 * draws a length up to the schema's own bound before cutting it to the option's (up to
 * 1 MiB a string), and what it generates from the lowered schema satisfies the original.
 */
function bounded<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(bounded) as T;
  if (!schema || typeof schema !== 'object') return schema;
  const out = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, bounded(v)])) as Json;
  if (typeof out.maxLength === 'number') out.maxLength = Math.min(out.maxLength, GENERATION.maxLength);
  if (typeof out.maxItems === 'number') out.maxItems = Math.min(out.maxItems, GENERATION.maxItems);
  return out as T;
}

/** The published format, as docs/plugins.md defines it. */
const isWorkspacePath = (s: string) => s === s.normalize('NFC') && s.split('/').every((part) => Buffer.byteLength(part) <= 255);

/** Names a generator for the custom format may use: mostly fine ones, some refused, some near a rule. */
const NAMES = ['src', 'lib', 'a.ts', 'README.md', '.github', '.gitignore', 'my.claude.ts', 'x.git', '..foo', 'ünï', '日本', 'a b', '.', '', '.env'];
const REFUSED = ['..', '.git', '.Git.', '.claude', '.MCP.json', '\uFF0E', 'e\u0301', 'C:', 'a\\b', '\u202E', '\t'];
const trickyPath = (random: Random) =>
  Array.from({ length: random.int(1, 4) }, () => (random.next() < 0.85 ? NAMES[random.int(0, NAMES.length - 1)] : REFUSED[random.int(0, REFUSED.length - 1)])).join('/');

/** Properties holding workspace files: arrays of `{ path, content }` whose path has the format. */
const fileFields = (schema: Schema) =>
  Object.entries(schema.properties ?? {}).filter(([, p]) => ((p.items as Schema | undefined)?.properties?.path as Json | undefined)?.format === WORKSPACE_PATH_FORMAT);

/**
 * The documented rules the schema cannot state: paths unique once normalised, no file under
 * another, each file within its byte limit (the published `maxLength`, counted in bytes), a
 * repository source naming a configured repository.
 * Total size is not checked: {@link GENERATION} keeps every body far below it.
 */
function codeOnlyProblems(body: Json, schema: Schema): string[] {
  const problems: string[] = [];
  // A repository source must name a repository the deployment is configured to read (names
  // are not published); this runtime configures none.
  if (schema.properties?.source && body.source !== undefined) problems.push('source: names a repository this runtime does not configure');
  for (const [field, property] of fileFields(schema)) {
    const files = body[field] as { path: string; content: string }[] | undefined;
    if (!files) continue;
    const byteLimit = ((property.items as Schema).properties?.content as Json).maxLength as number;
    const paths = files.map((f) => posix.normalize(f.path));
    const seen = new Set(paths);
    if (seen.size !== paths.length) problems.push(`${field}: a path repeats`);
    if (paths.some((p) => p.split('/').some((_, n, parts) => n > 0 && seen.has(parts.slice(0, n).join('/'))))) problems.push(`${field}: a file under another`);
    if (files.some((f) => Buffer.byteLength(f.content) > byteLimit)) problems.push(`${field}: a file over ${byteLimit} bytes`);
  }
  return problems;
}

const BAD_PATHS = ['', '..', '../x', 'a/../../b', '.git/x', 'sub/.git/config', '.GIT', '.CLAUDE/settings.json', 'a/.claude/x', '.mcp.JSON', '/etc/passwd', 'C:/x', 'a\\b', 'a\u0000b', 'a\nb', 'evil\u202Egpj.ts', 'a\u200Bb', '\uFF0E\uFF0E/x', 'e\u0301.ts', 'dir/', '.', `${'x'.repeat(256)}.ts`, 'a/'.repeat(257)];

/** Bodies that break one published rule each, built from a valid body. */
function mutations(body: Json, schema: Schema, other: (key: string) => unknown): [string, unknown][] {
  const out: [string, unknown][] = [['an array body', [body]], ['an unknown field', { ...body, permissionMode: 'bypassPermissions' }]];
  for (const key of schema.required ?? []) {
    const { [key]: _, ...rest } = body;
    out.push([`without ${key}`, rest]);
  }
  for (const branch of schema.oneOf ?? []) {
    const [key] = branch.required;
    if (key !== undefined && body[key] === undefined) out.push([`${key} as well`, { ...body, [key]: other(key) }]);
  }
  if (schema.oneOf) out.push(['none of the alternatives', Object.fromEntries(Object.entries(body).filter(([k]) => !schema.oneOf?.some((b) => b.required.includes(k))))]);
  for (const [key, value] of Object.entries(body)) {
    const p = schema.properties?.[key] ?? {};
    out.push([`${key} of the wrong type`, { ...body, [key]: p.type === 'string' ? 12345 : 'text' }]);
    if (Array.isArray(p.enum)) out.push([`${key} outside its enum`, { ...body, [key]: 'not-a-choice' }]);
    if (typeof p.minLength === 'number' && p.minLength > 0) out.push([`${key} empty`, { ...body, [key]: '' }]);
    if (typeof p.maxLength === 'number' && p.maxLength < 1_500_000) out.push([`${key} too long`, { ...body, [key]: 'x'.repeat(p.maxLength + 1) }]);
    if (typeof p.pattern === 'string') out.push([`${key} not matching its pattern`, { ...body, [key]: '\n' }]);
    if (Array.isArray(value) && typeof p.minItems === 'number' && p.minItems > 0) out.push([`${key} empty`, { ...body, [key]: [] }]);
    if (Array.isArray(value) && typeof p.maxItems === 'number') {
      const item = value[0];
      const many = Array.from({ length: p.maxItems + 1 }, (_, i) => (item && typeof item === 'object' && 'path' in item ? { ...item, path: `f${i}.ts` } : item));
      out.push([`${key} with too many items`, { ...body, [key]: many }]);
    }
  }
  for (const [field] of fileFields(schema)) {
    const files = body[field] as Json[] | undefined;
    if (!files?.[0]) continue;
    for (const bad of BAD_PATHS) out.push([`${field}.0.path ${JSON.stringify(bad.slice(0, 40))}`, { ...body, [field]: [{ ...files[0], path: bad }, ...files.slice(1)] }]);
    out.push([`${field}.0 without content`, { ...body, [field]: [{ path: files[0].path }] }]);
  }
  return out;
}

interface Tally {
  validGenerated: number;
  validRejected: number;
  codeOnly: number;
  invalidGenerated: number;
  invalidAccepted: number;
  mutations: number;
  mutationsAccepted: number;
}

/** Answers each call with a sample of its operation's output schema. */
class SampledEngine extends FakeEngine {
  override run(req: ClaudeRequest): AsyncGenerator<ClaudeEvent> {
    this.script({ output: sampleFromSchema(req.outputSchema) });
    return super.run(req);
  }
}

describe('fuzzing the published input schemas', () => {
  let runtime: Runtime;
  let doc: { components: { schemas: Record<string, Schema> } };
  const tallies = new Map<string, Tally>();
  beforeAll(async () => {
    const engine = new SampledEngine();
    runtime = await unitRuntime(engine, {
      config: { plugins: catalogue.plugins, auth: { enabled: false }, rateLimits: { perKey: 1_000_000 } },
      baseDir: catalogue.baseDir,
      overrides: [override(MESSAGES_ENGINE, engine)],
    });
    doc = (await request(runtime.app).get('/openapi.json').expect(200)).body;
  });
  afterAll(async () => {
    await runtime.dispose();
    if (process.env.FUZZ_REPORT) process.stdout.write(`${JSON.stringify(Object.fromEntries(tallies), null, 1)}\n`);
  });

  const operations = () => runtime.registry.list().flatMap((p) => [...p.operations.values()].map((op) => ({ id: `${p.definition.id}.${op.name}`, path: `/v1/plugins/${p.definition.id}/${op.name}`, example: op.definition.example })));

  it('covers every plugin of the catalogue', () => {
    expect(operations().map((o) => o.id)).toEqual(['code-review.review', 'doc-generator.generate', 'test-helper.generate-tests', 'migration-advisor.assess', 'commit-message.write', 'release-notes.draft']);
  });

  it.each(['code-review.review', 'doc-generator.generate', 'test-helper.generate-tests', 'migration-advisor.assess', 'commit-message.write', 'release-notes.draft'])('%s: the server refuses exactly what the schema refuses', async (id) => {
    const { generate } = await import('json-schema-faker');
    const op = operations().find((o) => o.id === id);
    const schema = doc.components.schemas[`${id}.input`];
    if (!op || !schema) throw new Error(`${id} is not published`);
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
    ajv.addFormat(WORKSPACE_PATH_FORMAT, { type: 'string', validate: isWorkspacePath });
    // An annotation (an extension after ajv-errors' keyword) that publishes a rule's message for clients; it validates nothing.
    ajv.addKeyword('x-errorMessage');
    const valid = ajv.compile(schema);
    const generating = bounded(schema);
    expect(valid(op.example)).toBe(true);

    const tally: Tally = { validGenerated: 0, validRejected: 0, codeOnly: 0, invalidGenerated: 0, invalidAccepted: 0, mutations: 0, mutationsAccepted: 0 };
    tallies.set(id, tally);
    const wrong: unknown[] = [];
    const post = async (body: unknown) => {
      const res = await request(runtime.app).post(op.path).send(body as object);
      if (res.status === 400) {
        expect(res.body.code).toBe('invalid_input');
        // Each field error is a sentence a person reads, not one of the path rules' expressions.
        for (const e of res.body.errors) expect(`${e.field}: ${e.message}`).not.toMatch(/\(\?[:!=]|\\p\{/);
      }
      return res;
    };

    const bases: Json[] = [];
    for (let i = 0; i < PER_OPERATION; i++) {
      const seed = SEED + i;
      // Odd seeds give the custom format a generator of awkward paths; otherwise paths come from the base schema.
      const options = { seed, ...GENERATION, ...(i % 2 ? { formats: { [WORKSPACE_PATH_FORMAT]: trickyPath } } : {}) };
      const body = (await generate(generating, options)) as Json;
      // faker fills only the required fields of a oneOf branch: add optional fields to half the bodies.
      if (i % 4 >= 2) {
        for (const [key, property] of Object.entries(schema.properties ?? {})) {
          // A field that goes only with others (dependentRequired) is added only beside them.
          const needs = (schema as { dependentRequired?: Record<string, string[]> }).dependentRequired?.[key] ?? [];
          if (needs.some((n) => body[n] === undefined)) continue;
          if (body[key] === undefined && (seed + key.length) % 2 === 0) body[key] = await generate(bounded(property), options);
        }
      }
      const problems = valid(body) ? codeOnlyProblems(body, schema) : undefined;
      const res = await post(body);
      if (problems === undefined) {
        tally.invalidGenerated++;
        if (res.status !== 400) {
          tally.invalidAccepted++;
          wrong.push({ expected: 400, status: res.status, body, schemaErrors: valid.errors });
        }
      } else if (problems.length > 0) {
        tally.codeOnly++;
        if (res.status !== 400) wrong.push({ expected: 400, because: problems, status: res.status, body });
      } else {
        tally.validGenerated++;
        if (res.status === 400) tally.validRejected++;
        if (res.status !== 200) wrong.push({ expected: 200, status: res.status, body, problem: res.body });
        if (bases.length < 3 && !bases.some((b) => Object.keys(b).join() === Object.keys(body).join())) bases.push(body);
      }
    }
    expect(tally.validGenerated).toBeGreaterThanOrEqual(PER_OPERATION / 4);

    // A value for each alternative of a oneOf, to send it alongside the one a body has.
    const others: Json = {};
    for (const key of (schema.oneOf ?? []).flatMap((b) => b.required)) others[key] = await generate(generating.properties?.[key] ?? {}, { seed: SEED, ...GENERATION });
    const other = (key: string) => others[key];
    for (const base of bases) {
      for (const [what, body] of mutations(base, schema, other)) {
        tally.mutations++;
        if (valid(body)) wrong.push({ mutation: what, problem: 'the published schema accepts it' });
        const res = await post(body);
        if (res.status !== 400) {
          tally.mutationsAccepted++;
          wrong.push({ mutation: what, expected: 400, status: res.status });
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});
