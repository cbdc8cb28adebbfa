import type { Request, Response } from 'express';
import { definedToolName, InputError } from '@ccp/plugin-api';
import { z } from 'zod';
import { mayUse } from '../../auth/caller';
import type { OperationCallRequest } from '../../calls/call';
import type { Planner } from '../../calls/plan';
import type { CallRunner } from '../../calls/runner';
import type { JobService } from '../../jobs/job-service';
import type { RegisteredPlugin } from '../../plugins/registered-plugin';
import type { PluginRegistry } from '../../plugins/registry';
import { route, type Route } from '../api/route';
import { callEvents, callResultSchema, pluginSummarySchema } from '../api/schemas';
import { callerSignal } from '../caller-signal';
import { streamCall, wantsEventStream } from '../event-stream';
import { requireJson } from '../require-json';
import { formatAlternatives, formatQuery, negotiateFormat, sendNegotiated } from '../result-format';
import { jobSchema, prefersAsync, submitJob, WEBHOOK_HEADER } from './jobs';

function describe(plugin: RegisteredPlugin, withSchemas: boolean) {
  const d = plugin.definition;
  return {
    id: d.id,
    version: d.version,
    description: d.description,
    engine: plugin.engine,
    tools: { allow: plugin.tools.allow, mode: plugin.tools.mode, ...(plugin.tools.define?.length ? { defined: plugin.tools.define.map((t) => ({ name: definedToolName(d.id, t.name), description: t.description })) } : {}) },
    ...(plugin.model ? { model: plugin.model } : {}),
    ...(plugin.maxTurns ? { maxTurns: plugin.maxTurns } : {}),
    operations: [...plugin.operations.values()].map((op) => ({
      name: op.name,
      description: op.definition.description,
      method: 'POST' as const,
      path: `/v1/plugins/${d.id}/${op.name}`,
      formats: (op.definition.formats ?? []).map((f) => ({ name: f.name, mediaType: f.mediaType, description: f.description })),
      ...(withSchemas ? { inputSchema: op.inputSchema, resultSchema: op.resultSchema, example: op.definition.example } : {}),
    })),
  };
}

/** The body of a successful call of one operation, its result by reference. */
const resultBody = (result: string) => ({
  type: 'object',
  required: ['result', 'usage', 'durationMs', 'sessionId'],
  properties: { result: { $ref: result }, usage: { $ref: '#/components/schemas/Usage' }, durationMs: { type: 'integer' }, sessionId: { type: 'string' } },
});

/** Component names must match `^[a-zA-Z0-9._-]+$`. */
const component = (plugin: string, op: string, part: string) => `#/components/schemas/${plugin}.${op}.${part}`;

/** `/v1/plugins`: list, describe and invoke plugin operations (one documented path per served operation). */
export function pluginRoutes(registry: PluginRegistry, planner: Planner, runner: CallRunner, heartbeatMs: number, jobs?: JobService): Route[] {
  /** The operation and the answer the request asks for (406 when it lacks that format); none for an unknown plugin or operation, which the call answers with 404. */
  const negotiate = (req: Request) => {
    const operation = registry.get(String(req.params.id))?.operations.get(String(req.params.operation));
    const negotiated = operation ? negotiateFormat(req, operation.definition.formats ?? [], `${String(req.params.id)}/${String(req.params.operation)}`, wantsEventStream(req)) : undefined;
    return { operation, negotiated };
  };
  /** A request refused for its format never reaches the call pipeline, which counts calls: the route's own per-key limit counts it. */
  const reachesPipeline = (req: Request): boolean => {
    if (jobs && prefersAsync(req)) return true;
    try {
      negotiate(req);
      return true;
    } catch {
      return false;
    }
  };
  const invoke = async (req: Request<{ id: string; operation: string }>, res: Response) => {
    const noCache = /no-cache|no-store/i.test(req.get('cache-control') ?? '');
    const webhook = req.get('webhook');
    if (jobs && prefersAsync(req)) {
      await submitJob(jobs, req, res, { plugin: req.params.id, operation: req.params.operation, input: req.body, ...(noCache ? { cacheControl: 'no-cache' as const } : {}), ...(webhook !== undefined ? { webhook } : {}) });
      return;
    }
    // A synchronous call has no end to deliver: saying so beats dropping the header unheard.
    if (webhook !== undefined) throw new InputError('invalid_input', 'The Webhook header applies to background jobs only: send Prefer: respond-async with it (or POST /v1/jobs with a webhook field).');
    const streaming = wantsEventStream(req);
    // Asked before anything runs, so a format the operation lacks costs nothing.
    const { operation, negotiated } = negotiate(req);
    const call: OperationCallRequest = {
      kind: 'operation',
      requestId: req.id,
      caller: req.caller,
      clientIp: req.ip,
      transport: streaming ? 'sse' : 'http',
      streaming,
      plugin: req.params.id,
      operation: req.params.operation,
      body: req.body,
      ...(noCache ? { cacheControl: 'no-cache' as const } : {}),
    };
    if (streaming) {
      await streamCall(req, res, heartbeatMs, (sink, signal) => runner.run(call, sink, signal));
      return;
    }
    const onCache = (status: string) => {
      if (!res.headersSent) res.setHeader('X-Cache', status);
    };
    const body = await runner.run(call, { cache: onCache }, callerSignal(res));
    // The call ran on this body, so it parses: a renderer gets the input as the operation saw it.
    sendNegotiated(res, negotiated ?? { kind: 'json' }, body, () => operation?.definition.input.parse(req.body));
  };
  return [
    route({
      method: 'get',
      path: '/v1/plugins',
      operationId: 'listPlugins',
      summary: 'List the plugins this key may use',
      tags: ['plugins'],
      responses: { 200: { description: 'The plugins, without their schemas', json: z.object({ plugins: z.array(pluginSummarySchema) }) } },
      handlers: [(req, res) => void res.json({ plugins: registry.list().filter((p) => mayUse(req.caller, p.definition.id)).map((p) => describe(p, false)) })],
    }),
    route({
      method: 'get',
      path: '/v1/plugins/:id',
      operationId: 'describePlugin',
      summary: 'Describe one plugin: its operations with input and result JSON Schemas and an example',
      tags: ['plugins'],
      params: { id: 'The plugin id, e.g. code-review' },
      responses: { 200: { description: 'The plugin', json: pluginSummarySchema } },
      problems: [403, 404],
      handlers: [(req, res) => void res.json(describe(planner.plugin(String(req.params.id), req.caller), true))],
    }),
    route({
      method: 'post',
      path: '/v1/plugins/:id/:operation',
      operationId: 'invokeOperation',
      summary: 'Run a plugin operation',
      tags: ['plugins'],
      countedAsCall: reachesPipeline,
      auditedAsCall: () => true,
      responses: { 200: { description: 'The structured result', json: callResultSchema() } },
      problems: [400, 402, 403, 404, 406, 413, 415, 502, 504],
      expand: () =>
        registry.list().flatMap((plugin) =>
          [...plugin.operations.values()].map((op) => ({
            ...(formatQuery(op.definition.formats ?? []) ? { query: formatQuery(op.definition.formats ?? []) } : {}),
            path: `/v1/plugins/${plugin.definition.id}/${op.name}`,
            operationId: `${plugin.definition.id}.${op.name}`,
            summary: op.definition.description,
            description: `${plugin.definition.description}\n\nEngine: ${plugin.engine}. Tools: ${[...plugin.tools.allow, ...(plugin.tools.define ?? []).map((t) => definedToolName(plugin.definition.id, t.name))].join(', ') || 'none'} (${plugin.tools.mode}). Send \`Accept: text/event-stream\` to stream the call as Server-Sent Events, or \`Prefer: respond-async\` to run it as a background job (202 with its Location; see /v1/jobs).${op.definition.formats?.length ? ` The result also comes as ${op.definition.formats.map((f) => `\`${f.name}\``).join(', ')}: ask with \`?format=\` or \`Accept\` (a job's with GET /v1/jobs/{jobId}/result).` : ''}`,
            tags: [plugin.definition.id],
            requestHeaders: {
              Prefer: { description: 'respond-async: run the call as a background job (202 with its Location)' },
              'Idempotency-Key': { description: 'With Prefer: respond-async: the same key and body within 24 hours give back the first job (200); another body is 422' },
              ...WEBHOOK_HEADER,
            },
            body: { schema: { $ref: component(plugin.definition.id, op.name, 'input') }, required: true, example: op.definition.example },
            responses: {
              200: {
                description: `The structured result (JSON), or the call as Server-Sent Events with Accept: text/event-stream${op.definition.formats?.length ? ', or the result as a report (?format= or Accept)' : ''}`,
                json: resultBody(component(plugin.definition.id, op.name, 'result')),
                alternatives: formatAlternatives(op.definition.formats ?? []),
                events: { ...callEvents, result: resultBody(component(plugin.definition.id, op.name, 'result')) },
                headers: { 'X-Cache': 'hit, miss or bypass: whether the response cache answered (JSON calls of cacheable plugins)', Vary: 'Accept' },
              },
              202: { description: 'With Prefer: respond-async: the job, queued', json: jobSchema, headers: { Location: '/v1/jobs/{jobId}', 'Preference-Applied': 'respond-async' } },
            },
            problems: [400, 402, 403, 404, 406, 409, 413, 415, 422, 502, 504],
            schemas: { [`${plugin.definition.id}.${op.name}.input`]: op.inputSchema, [`${plugin.definition.id}.${op.name}.result`]: op.resultSchema },
          })),
        ),
      handlers: [requireJson(), invoke as never],
    }),
  ];
}
