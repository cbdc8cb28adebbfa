import { ERROR_CODES } from '@ccp/plugin-api';
import type { PluginRegistry } from '../plugins/registry';

const problem = {
  type: 'object',
  description: 'RFC 9457 problem details; docs/errors.md lists every code.',
  required: ['type', 'title', 'status', 'detail', 'code', 'requestId'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', enum: Object.keys(ERROR_CODES) },
    requestId: { type: 'string' },
    instance: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } } },
    retryAfterSeconds: { type: 'integer' },
  },
};

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const errorResponses = {
  '401': problemResponse('No API key, or an unknown one (see WWW-Authenticate).'),
  '402': problemResponse('A daily or monthly budget is used up; the detail says when it resets.'),
  '403': problemResponse('The API key may not use this plugin.'),
  '429': problemResponse('Rate limit or concurrent-query cap reached; see Retry-After and RateLimit headers.'),
  '400': problemResponse('The body is not valid JSON or does not match the input schema (`errors` names every field).'),
  '404': problemResponse('No such plugin or operation.'),
  '413': problemResponse('The body is larger than the configured limit.'),
  '415': problemResponse('The body is not application/json.'),
  '502': problemResponse('Claude or its CLI failed, or the answer did not match the output schema.'),
  '503': problemResponse('No credentials, the circuit breaker is open, or the API is overloaded; see Retry-After.'),
  '504': problemResponse('The query passed its time limit.'),
};

/** Component names must match `^[a-zA-Z0-9._-]+$`. */
const component = (plugin: string, op: string, part: string) => `${plugin}.${op}.${part}`;

/**
 * The OpenAPI 3.1 description of this deployment, generated from the registered plugins
 * (built-in, package and YAML alike). JSON Schema 2020-12 is OpenAPI 3.1's own dialect,
 * so each operation's schemas are used as they are.
 */
export function openApiDocument(registry: PluginRegistry, version: string): Record<string, unknown> {
  const schemas: Record<string, unknown> = { Problem: problem };
  const paths: Record<string, unknown> = {
    '/v1/plugins': { get: { operationId: 'listPlugins', summary: 'List the enabled plugins', tags: ['platform'], responses: { '200': { description: 'The plugins', content: { 'application/json': { schema: { type: 'object' } } } } } } },
    '/health/live': { get: { operationId: 'live', security: [], summary: 'Liveness', tags: ['platform'], responses: { '200': { description: 'The process runs' } } } },
    '/health/ready': { get: { operationId: 'ready', security: [], summary: 'Readiness, by component', tags: ['platform'], responses: { '200': { description: 'Ready or degraded' }, '503': { description: 'A component is down' } } } },
    '/metrics': { get: { operationId: 'metrics', security: [], summary: 'Prometheus metrics', tags: ['platform'], responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
  };
  for (const plugin of registry.list()) {
    const id = plugin.definition.id;
    for (const op of plugin.operations.values()) {
      schemas[component(id, op.name, 'input')] = op.inputSchema;
      schemas[component(id, op.name, 'result')] = op.resultSchema;
      paths[`/v1/plugins/${id}/${op.name}`] = {
        post: {
          operationId: `${id}.${op.name}`,
          summary: op.definition.description,
          description: `${plugin.definition.description}\n\nTools: ${plugin.tools.allow.join(', ') || 'none'} (${plugin.tools.mode}).`,
          tags: [id],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: `#/components/schemas/${component(id, op.name, 'input')}` }, example: op.definition.example } },
          },
          responses: {
            '200': {
              description: 'The structured result',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['result', 'usage', 'durationMs', 'sessionId'],
                    properties: {
                      result: { $ref: `#/components/schemas/${component(id, op.name, 'result')}` },
                      usage: {
                        type: 'object',
                        required: ['inputTokens', 'outputTokens', 'costUsd'],
                        properties: { inputTokens: { type: 'integer' }, outputTokens: { type: 'integer' }, costUsd: { type: 'number' } },
                      },
                      durationMs: { type: 'integer' },
                      sessionId: { type: 'string' },
                    },
                  },
                },
              },
            },
            ...errorResponses,
          },
        },
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Claude Code Platform',
      version,
      description: 'Plugins that put Claude Code to work behind a REST API. Each operation takes a JSON body and returns a structured result.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    tags: [{ name: 'platform' }, ...registry.list().map((p) => ({ name: p.definition.id, description: p.definition.description }))],
    paths,
    security: [{ apiKey: [] }],
    components: {
      schemas,
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from `npm run keys -- create`.' } },
    },
  };
}
