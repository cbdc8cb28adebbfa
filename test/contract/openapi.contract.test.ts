import type { Runtime } from '@ccp/runtime';
import { FakeEngine, unitRuntime } from '@ccp/testing';
import request from 'supertest';
import { catalogue } from '../catalogue';

// The OpenAPI 3.1 description validates with a maintained validator, and names every
// operation of every registered plugin (built-in, package and YAML).

describe('GET /openapi.json and /docs', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await unitRuntime(new FakeEngine(), { config: { plugins: catalogue.plugins }, baseDir: catalogue.baseDir });
  });
  afterAll(() => runtime.dispose());

  const operations = () => runtime.registry.list().flatMap((p) => [...p.operations.keys()].map((name) => ({ id: p.definition.id, name })));

  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = (await request(runtime.app).get('/openapi.json').expect(200)).body;
    expect(doc.openapi).toBe('3.1.0');
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const validator = new Validator();
    const verdict = await validator.validate(doc);
    expect(verdict).toEqual({ valid: true });
  });

  it('describes every operation with its input and result schemas', async () => {
    const doc = (await request(runtime.app).get('/openapi.json')).body;
    expect(operations()).toHaveLength(6);
    for (const { id, name } of operations()) {
      const op = doc.paths[`/v1/plugins/${id}/${name}`]?.post;
      expect(op?.operationId).toBe(`${id}.${name}`);
      expect(doc.components.schemas[`${id}.${name}.input`]).toMatchObject({ type: 'object' });
      expect(doc.components.schemas[`${id}.${name}.result`]).toMatchObject({ type: 'object' });
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '404', '503']));
    }
  });

  it('makes each named schema the schema itself, not a reference to itself', async () => {
    const doc = (await request(runtime.app).get('/openapi.json')).body;
    for (const [name, schema] of Object.entries(doc.components.schemas)) expect({ name, schema }).not.toEqual({ name, schema: { $ref: `#/components/schemas/${name}` } });
    expect(doc.components.schemas.Problem).toMatchObject({ type: 'object', required: expect.arrayContaining(['code', 'requestId']) });
  });

  it('leaves defaulted input fields optional, without a `default` a generator would read as required', async () => {
    const doc = (await request(runtime.app).get('/openapi.json')).body;
    const input = doc.components.schemas['doc-generator.generate.input'];
    expect(input.required).toEqual(['files', 'style']);
    expect(input.properties.audience.description).toContain('Defaults to "api-user"');
    for (const { id, name } of operations()) expect(JSON.stringify(doc.components.schemas[`${id}.${name}.input`])).not.toContain('"default"');
  });

  it('serves a readable page that lists every operation, escaped', async () => {
    const res = await request(runtime.app).get('/docs').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    for (const { id, name } of operations()) expect(res.text).toContain(`/v1/plugins/${id}/${name}`);
    // No inline script (the CSP forbids it): only the page's own script file.
    expect(res.text.match(/<script[^>]*>/gi)).toEqual(['<script src="/docs/try.js">']);
  });
});
