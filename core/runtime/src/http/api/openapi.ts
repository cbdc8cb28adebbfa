import { z } from 'zod';
import { jsonSchema, type JsonSchema, type ResponseSpec, type Route, type RouteDoc, type SchemaOf } from './route';
import { problemSchema } from './schemas';

/**
 * What any route may answer besides its own responses: the JSON body parser runs before
 * every route, so a malformed body is a 400 invalid_json on a GET of /health/live too.
 */
const ANY_ROUTE_PROBLEMS = [400, 500];
/** What every authenticated route may answer besides. */
const V1_PROBLEMS = [...ANY_ROUTE_PROBLEMS, 401, 429, 503];
const PROBLEM_TEXT: Record<number, string> = {
  400: 'The body or a parameter is wrong (`errors` names every field)',
  401: 'No API key, or an unknown one (see WWW-Authenticate)',
  402: 'A daily or monthly budget is used up; the detail says when it resets',
  403: 'The API key may not do that',
  404: 'No such plugin, operation, session or route',
  406: 'The result cannot be given in the format asked for with ?format= or Accept; the detail lists the formats',
  409: 'The session is answering another message, or the job has not finished',
  413: 'The body is larger than the configured limit',
  415: 'The body is not UTF-8 application/json',
  429: 'A rate limit or a cap on running queries was reached; see Retry-After and the RateLimit headers',
  499: 'The client closed the request (logs and metrics only)',
  500: 'Internal error; the request id finds it in the logs',
  502: 'Claude or its CLI failed, or the answer did not match the output schema',
  503: 'Shutting down, no credentials, the breaker open, at capacity, shared state or audit unavailable, or the API overloaded; see Retry-After',
  504: 'The query passed its time limit',
};

const isZod = (s: SchemaOf): s is z.ZodType => typeof s === 'object' && s !== null && '_zod' in s;

/** Collects named schemas into `components.schemas` and rewrites zod's `$defs` references to them. */
class Components {
  readonly schemas: Record<string, JsonSchema> = {};

  add(name: string, schema: JsonSchema): { $ref: string } {
    this.schemas[name] = schema;
    return { $ref: `#/components/schemas/${name}` };
  }

  schema(s: SchemaOf, io: 'input' | 'output'): JsonSchema {
    const id = isZod(s) ? (z.globalRegistry.get(s) as { id?: string } | undefined)?.id : undefined;
    const out = this.hoist(jsonSchema(s, io));
    if (!id) return out;
    // zod writes a schema that has an id as a reference into its own $defs, which hoist()
    // has already made the component: overwriting it with that reference would make the
    // component point at itself.
    const ref = `#/components/schemas/${id}`;
    if (out.$ref === ref && Object.keys(out).length === 1) return { $ref: ref };
    delete out.id;
    return this.add(id, out);
  }

  private hoist(schema: JsonSchema): JsonSchema {
    const defs = schema.$defs as Record<string, JsonSchema> | undefined;
    delete schema.$defs;
    for (const [name, def] of Object.entries(defs ?? {})) this.schemas[name] = rewrite(def);
    return rewrite(schema);
  }
}

function rewrite<T>(value: T): T {
  if (Array.isArray(value)) return value.map(rewrite) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', '#/components/schemas/') : rewrite(v);
    return out as T;
  }
  return value;
}

function response(spec: ResponseSpec, components: Components): Record<string, unknown> {
  const content: Record<string, unknown> = {};
  if (spec.json) content['application/json'] = { schema: components.schema(spec.json, 'output') };
  if (spec.events) {
    const events = Object.entries(spec.events).map(([event, data]) => ({
      type: 'object',
      required: ['event', 'data'],
      properties: { event: { const: event }, data: components.schema(data, 'output') },
    }));
    content['text/event-stream'] = { schema: { description: 'Server-Sent Events, in order: one start, any text and tool, then exactly one result or error. A `: keep-alive` comment every server.sseHeartbeatMs.', oneOf: events } };
  }
  if (spec.other) content[spec.other.mediaType] = { schema: components.schema(spec.other.schema, 'output') };
  for (const alt of spec.alternatives ?? []) content[alt.mediaType] = { schema: components.schema(alt.schema, 'output') };
  return {
    description: spec.description,
    ...(Object.keys(content).length > 0 ? { content } : {}),
    ...(spec.headers ? { headers: Object.fromEntries(Object.entries(spec.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }])) } : {}),
  };
}

function operation(doc: RouteDoc, isPublic: boolean, components: Components): Record<string, unknown> {
  const pathParams = [...doc.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] as string);
  const problems = [...new Set([...(doc.problems ?? []), ...(isPublic ? ANY_ROUTE_PROBLEMS : V1_PROBLEMS)])].sort();
  const responses: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(doc.responses)) responses[status] = response(spec, components);
  for (const status of problems) {
    if (responses[status]) continue;
    responses[status] = { description: PROBLEM_TEXT[status] ?? 'A problem', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
  }
  return {
    operationId: doc.operationId,
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: doc.tags,
    ...(isPublic ? { security: [] } : {}),
    parameters: [
      ...pathParams.map((name) => ({ name, in: 'path', required: true, description: doc.params?.[name] ?? name, schema: { type: 'string' } })),
      ...Object.entries(doc.query ?? {}).map(([name, q]) => ({ name, in: 'query', required: false, description: q.description, schema: components.schema(q.schema, 'input') })),
      ...Object.entries(doc.requestHeaders ?? {}).map(([name, h]) => ({ name, in: 'header', required: false, description: h.description, schema: h.schema ? components.schema(h.schema, 'input') : { type: 'string' } })),
    ],
    ...(doc.body
      ? { requestBody: { required: doc.body.required, content: { 'application/json': { schema: components.schema(doc.body.schema, 'input'), ...(doc.body.example !== undefined ? { example: doc.body.example } : {}) } } } }
      : {}),
    responses,
  };
}

/** Everything the document says besides the routes. */
export interface DocumentInfo {
  readonly version: string;
  readonly tags: readonly { readonly name: string; readonly description: string }[];
  /** Extra named schemas (e.g. the WebSocket's messages). */
  readonly schemas?: Readonly<Record<string, SchemaOf>>;
}

/**
 * The OpenAPI 3.1 document, generated from the route declarations: nothing describes a route
 * twice. Zod schemas become JSON Schema 2020-12 (OpenAPI 3.1's own dialect); schemas with a
 * meta id become named components.
 */
export function openApiDocument(routes: readonly Route[], info: DocumentInfo): Record<string, unknown> {
  const components = new Components();
  components.schema(problemSchema, 'output');
  for (const [name, schema] of Object.entries(info.schemas ?? {})) {
    const named = isZod(schema) && (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id;
    if (named) components.schema(schema, 'output');
    else components.add(name, components.schema(schema, 'output'));
  }
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    for (const doc of r.expand ? r.expand() : [r]) {
      for (const [name, schema] of Object.entries(doc.schemas ?? {})) components.add(name, components.schema(schema, 'output'));
      const path = doc.path.replace(/:([A-Za-z]+)/g, '{$1}');
      paths[path] ??= {};
      (paths[path] as Record<string, unknown>)[r.method] = operation(doc, r.public === true, components);
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Claude Code Platform',
      version: info.version,
      description: 'Plugins that put Claude Code to work behind a REST API. Each operation takes a JSON body and returns a structured result, as JSON or as Server-Sent Events; errors are RFC 9457 problems.',
      license: { name: 'UNLICENSED', identifier: 'LicenseRef-UNLICENSED' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    tags: info.tags,
    paths,
    security: [{ apiKey: [] }],
    components: {
      schemas: components.schemas,
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from `npm run keys -- create`.' } },
    },
  };
}
