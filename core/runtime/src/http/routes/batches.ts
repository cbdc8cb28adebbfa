import { z } from 'zod';
import { parseBody } from '../../calls/plan';
import type { BatchService } from '../../jobs/batch-service';
import { route, type Route } from '../api/route';
import { requireJson } from '../require-json';
import { jobOrigin, WEBHOOK_TEXT } from './jobs';

const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

/** `POST /v1/batches`. */
export const batchRequest = z.strictObject({
  requests: z
    .array(
      z.strictObject({
        customId: z.string().min(1).max(200).optional().meta({ description: "The caller's own name for this request, shown beside its job" }),
        plugin: z.string().min(1),
        operation: z.string().min(1),
        input: z.unknown(),
      }),
    )
    .min(1, 'a batch needs at least one request'),
  webhook: z.string().min(1).max(2048).optional().meta({ description: `Where the end of the whole batch is delivered (type batch.ended, data: the batch): ${WEBHOOK_TEXT}` }),
});

/** A batch as `GET /v1/batches/{id}` and a submission's 202 show it. */
export const batchSchema = z
  .object({
    id: z.string(),
    state: z.enum(['running', 'cancelling', 'ended']),
    createdAt: z.string(),
    cancelRequestedAt: z.string().optional(),
    endedAt: z.string().optional().meta({ description: 'When the last of its jobs ended' }),
    total: z.number().int(),
    counts: z.object(Object.fromEntries(JOB_STATES.map((s) => [s, z.number().int()])) as Record<(typeof JOB_STATES)[number], z.ZodNumber>),
    jobs: z.array(
      z.object({
        id: z.string(),
        customId: z.string().optional(),
        state: z.enum([...JOB_STATES, 'expired']),
        links: z.object({ self: z.string() }),
      }),
    ),
    webhook: z.string().optional(),
    deliveries: z.array(z.object({ attempt: z.number().int(), at: z.string(), outcome: z.string(), status: z.number().int().optional() })).optional(),
    links: z.object({ self: z.string() }),
  })
  .meta({ id: 'Batch' });

const batchId = { batchId: 'The batch id, from the Location of its submission' };

/** `/v1/batches`: many jobs at once, admitted all or none, with one webhook at the end. */
export function batchRoutes(batches: BatchService): Route[] {
  return [
    route({
      method: 'post',
      path: '/v1/batches',
      operationId: 'submitBatch',
      summary: 'Run many plugin operations in the background, as one batch',
      description:
        'Every request is checked as a job would be (input, access, rate limits) and the budget must cover one run of each, before any is queued: a batch is admitted whole or refused whole (400 names each bad request as `requests.N…`). ' +
        'Each request then runs as a job (GET /v1/jobs/{id}); the batch ends when its last job does, and its webhook (if any) is delivered once.',
      tags: ['jobs'],
      countedAsCall: () => true,
      body: {
        schema: batchRequest,
        required: true,
        example: { requests: [{ customId: 'pkg-a', plugin: 'code-review', operation: 'review', input: { files: [{ path: 'a.ts', content: 'export const a = 1;\n' }] } }] },
      },
      responses: { 202: { description: 'The batch, its jobs queued', json: batchSchema, headers: { Location: '/v1/batches/{batchId}' } } },
      problems: [400, 402, 403, 404, 413, 415],
      handlers: [
        requireJson(),
        async (req, res) => {
          const body = parseBody(batchRequest, req.body, 'a batch ({ requests: [{ plugin, operation, input }], webhook? })');
          const cacheControl = /no-cache|no-store/i.test(req.get('cache-control') ?? '') ? { cacheControl: 'no-cache' as const } : {};
          const doc = await batches.submit(jobOrigin(req), body.requests.map((r) => ({ ...r, ...cacheControl })), body.webhook);
          res.location(`/v1/batches/${String(doc.id)}`).status(202).json(doc);
        },
      ],
    }),
    route({
      method: 'get',
      path: '/v1/batches/:batchId',
      operationId: 'getBatch',
      summary: 'A batch: its state, counts of its jobs by state, and each job',
      tags: ['jobs'],
      params: batchId,
      responses: { 200: { description: 'The batch', json: batchSchema } },
      problems: [404],
      handlers: [async (req, res) => void res.json(await batches.get(req.caller.name, String(req.params.batchId)))],
    }),
    route({
      method: 'delete',
      path: '/v1/batches/:batchId',
      operationId: 'cancelBatch',
      summary: 'Cancel a batch: its queued jobs never run, its running ones are stopped and settled at what they spent',
      description: 'Answers with the batch once its jobs are settled; a batch that had already ended is returned as it was.',
      tags: ['jobs'],
      params: batchId,
      responses: { 200: { description: 'The batch', json: batchSchema } },
      problems: [404],
      handlers: [async (req, res) => void res.json(await batches.cancel(req.caller.name, String(req.params.batchId)))],
    }),
  ];
}
