import type { Request, Response } from 'express';
import { z } from 'zod';
import { parseBody } from '../../calls/plan';
import { jobDocument, type Job, type JobState } from '../../jobs/job';
import type { JobOrigin, JobService, JobSpec } from '../../jobs/job-service';
import { route, type Route } from '../api/route';
import { callEvents, callResultSchema, problemSchema, usageSchema } from '../api/schemas';
import { requireJson } from '../require-json';

const STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const satisfies readonly JobState[];

const progressSchema = z.object({
  turns: z.number().int(),
  toolCalls: z.number().int(),
  tools: z.array(z.string()),
  usage: usageSchema.omit({ costUsd: true }),
  costUsd: z.number(),
});

/** A job as `GET /v1/jobs/{id}` and a submission's 202 show it. */
export const jobSchema = z
  .object({
    id: z.string(),
    state: z.enum(STATES),
    plugin: z.string(),
    operation: z.string(),
    createdAt: z.string(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    progress: progressSchema,
    result: callResultSchema().optional().meta({ description: 'On success: the body a synchronous call answers with' }),
    error: problemSchema.optional().meta({ description: 'On failure or cancellation: the problem document' }),
    webhook: z.string().optional().meta({ description: 'Where the end of the job is delivered (GET links.deliveries for the attempts)' }),
    batchId: z.string().optional().meta({ description: 'The batch the job was submitted in (GET /v1/batches/{batchId})' }),
    links: z.object({ self: z.string(), events: z.string(), deliveries: z.string().optional() }),
  })
  .meta({ id: 'Job' });

export const WEBHOOK_TEXT =
  'a URL under one of the operator\'s jobs.webhooks.allowedUrls (anything else is 400 webhook_not_allowed). When the job ends it receives a Standard Webhooks POST ' +
  '(webhook-id, webhook-timestamp, webhook-signature) whose body is { type: job.succeeded | job.failed | job.cancelled, timestamp, data: the job }; a non-2xx answer or a timeout is retried with backoff.';

/** `POST /v1/jobs`. */
export const jobRequest = z.strictObject({
  plugin: z.string().min(1),
  operation: z.string().min(1),
  input: z.unknown(),
  webhook: z.string().min(1).max(2048).optional().meta({ description: `Where the end of the job is delivered: ${WEBHOOK_TEXT}` }),
});

const OUTCOMES = ['delivered', 'http_error', 'timeout', 'network_error', 'blocked'] as const;

/** `GET /v1/jobs/{id}/deliveries`. */
export const deliveriesSchema = z
  .object({
    jobId: z.string(),
    url: z.string().optional(),
    webhookId: z.string().optional().meta({ description: 'The webhook-id header of every attempt and redelivery: a receiver drops repeats by it' }),
    state: z.enum(['none', 'waiting', 'pending', 'retrying', 'delivered', 'failed']).meta({ description: 'none: no webhook; waiting: the job runs; pending: the first attempt is under way; retrying: a retry is scheduled; delivered; failed: no attempt is left' }),
    attempts: z.array(
      z.object({
        attempt: z.number().int(),
        trigger: z.enum(['automatic', 'redelivery']),
        at: z.string(),
        durationMs: z.number().int(),
        outcome: z.enum(OUTCOMES),
        status: z.number().int().optional().meta({ description: "The receiver's HTTP status (a redirect is never followed)" }),
        error: z.string().optional().meta({ description: 'Why the attempt got no answer: a timeout, a connection error, or an address the guard refused' }),
        nextAttemptAt: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'WebhookDeliveries' });

/** The `Webhook` request header of an operation called with `Prefer: respond-async`. */
export const WEBHOOK_HEADER = {
  Webhook: { description: `With Prefer: respond-async, where the end of the job is delivered: ${WEBHOOK_TEXT} (A header, not a body field: the body is the operation's input, whose schema admits no other field.)` },
};

const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(400).optional(),
  state: z.enum(STATES).optional(),
  plugin: z.string().min(1).optional(),
});

const jobId = { jobId: 'The job id, from the Location of its submission' };
const SUBMIT_HEADERS = {
  Location: '/v1/jobs/{jobId}',
  'Preference-Applied': 'respond-async, when the request carried Prefer: respond-async',
};

/** Whether the request carries `Prefer: respond-async` (RFC 7240). */
export function prefersAsync(req: Request): boolean {
  return (req.get('prefer') ?? '').split(',').some((p) => p.trim().split(';')[0]?.trim().toLowerCase() === 'respond-async');
}

/** The origin of a job from its HTTP request. */
export const jobOrigin = (req: Request): JobOrigin => ({ requestId: req.id, caller: req.caller, clientIp: req.ip });

/** Submits a job and answers 202 (200 for an Idempotency-Key's earlier job) with its Location. */
export async function submitJob(jobs: JobService, req: Request, res: Response, spec: JobSpec): Promise<void> {
  const { job, created } = await jobs.submit(jobOrigin(req), spec, req.get('idempotency-key'));
  res.location(`/v1/jobs/${job.id}`);
  if (prefersAsync(req)) res.setHeader('Preference-Applied', 'respond-async');
  res.status(created ? 202 : 200).json(jobDocument(job));
}

/** A job in a list: without its result (GET the job for it). */
const summary = (job: Job) => {
  const { result: _result, ...rest } = jobDocument(job);
  return rest;
};

/** Streams a job's events as SSE with `id:` fields, from after `Last-Event-ID`, until it ends. */
async function streamJob(jobs: JobService, req: Request, res: Response, heartbeatMs: number): Promise<void> {
  const id = String(req.params.jobId);
  const after = Number.parseInt(req.get('last-event-id') ?? '0', 10);
  const job = await jobs.get(req.caller.name, id); // 404 before the stream opens
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  const closed = new AbortController();
  res.once('close', () => closed.abort());
  const heartbeat = setInterval(() => !res.writableEnded && res.write(': keep-alive\n\n'), heartbeatMs);
  try {
    await jobs.follow(job.owner, id, Number.isFinite(after) && after > 0 ? after : 0, (e) => {
      if (!res.writableEnded && !res.destroyed) res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
    }, closed.signal);
  } finally {
    clearInterval(heartbeat);
    res.end();
  }
}

/** `/v1/jobs`: submit, watch, stream, list and cancel background jobs. */
export function jobRoutes(jobs: JobService, heartbeatMs: number): Route[] {
  return [
    route({
      method: 'post',
      path: '/v1/jobs',
      operationId: 'submitJob',
      summary: 'Run a plugin operation in the background',
      description:
        'Answers 202 at once with the job and its Location; everything a call would be refused for (input, access, rate limits, budget) is refused here. ' +
        'With `Idempotency-Key`, the same key and body within 24 hours answer 200 with the first job; another body is 422 idempotency_key_reused. ' +
        'Any operation route also takes `Prefer: respond-async` to do the same.',
      tags: ['jobs'],
      countedAsCall: () => true,
      requestHeaders: { 'Idempotency-Key': { description: 'The same key and body within 24 hours give back the first job (200); another body is 422' } },
      body: { schema: jobRequest, required: true, example: { plugin: 'code-review', operation: 'review', input: { files: [{ path: 'a.ts', content: 'export const a = 1;\n' }] } } },
      responses: {
        202: { description: 'The job, queued', json: jobSchema, headers: SUBMIT_HEADERS },
        200: { description: 'The job an earlier request with this Idempotency-Key made', json: jobSchema, headers: SUBMIT_HEADERS },
      },
      problems: [400, 402, 403, 404, 413, 415, 422],
      handlers: [
        requireJson(),
        async (req, res) => {
          const body = parseBody(jobRequest, req.body, 'a job ({ plugin, operation, input })');
          await submitJob(jobs, req, res, {
            plugin: body.plugin, operation: body.operation, input: body.input,
            ...(/no-cache|no-store/i.test(req.get('cache-control') ?? '') ? { cacheControl: 'no-cache' as const } : {}),
            ...(body.webhook !== undefined ? { webhook: body.webhook } : {}),
          });
        },
      ],
    }),
    route({
      method: 'get',
      path: '/v1/jobs',
      operationId: 'listJobs',
      summary: "The caller's jobs, newest first (without results)",
      tags: ['jobs'],
      query: {
        limit: { description: 'Jobs per page (1-100, default 20)', schema: z.number().int().min(1).max(100) },
        cursor: { description: "The previous page's nextCursor", schema: z.string() },
        state: { description: 'Only jobs in this state', schema: z.enum(STATES) },
        plugin: { description: 'Only jobs of this plugin', schema: z.string() },
      },
      responses: { 200: { description: 'One page of jobs', json: z.object({ jobs: z.array(jobSchema.omit({ result: true })), nextCursor: z.string().optional() }) } },
      problems: [400],
      handlers: [
        async (req, res) => {
          const q = parseBody(listQuery, req.query, 'the list query (limit, cursor, state, plugin)');
          const page = await jobs.list(req.caller.name, q);
          res.json({ jobs: page.jobs.map(summary), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
        },
      ],
    }),
    route({
      method: 'get',
      path: '/v1/jobs/:jobId',
      operationId: 'getJob',
      summary: 'A job: its state, timestamps, progress, and its result or problem once it ended',
      tags: ['jobs'],
      params: jobId,
      responses: { 200: { description: 'The job', json: jobSchema } },
      problems: [404],
      handlers: [async (req, res) => void res.json(jobDocument(await jobs.get(req.caller.name, String(req.params.jobId))))],
    }),
    route({
      method: 'get',
      path: '/v1/jobs/:jobId/events',
      operationId: 'streamJob',
      summary: "A job's events as Server-Sent Events, live until it ends",
      description: 'The same events as a synchronous stream (start, text, tool, then result or error), each with an SSE `id`. Reconnect with `Last-Event-ID` to get only the events after it.',
      tags: ['jobs'],
      params: jobId,
      responses: { 200: { description: 'The events', events: { ...callEvents, result: callResultSchema() }, headers: { 'Last-Event-ID': 'request header: resume after this event id' } } },
      problems: [404],
      handlers: [async (req, res) => streamJob(jobs, req, res, heartbeatMs)],
    }),
    route({
      method: 'get',
      path: '/v1/jobs/:jobId/deliveries',
      operationId: 'getJobDeliveries',
      summary: "A job's webhook: where its delivery stands and every attempt (time, status or error, duration)",
      tags: ['jobs'],
      params: jobId,
      responses: { 200: { description: 'The deliveries', json: deliveriesSchema } },
      problems: [404],
      handlers: [async (req, res) => void res.json(await jobs.deliveries(req.caller.name, String(req.params.jobId)))],
    }),
    route({
      method: 'delete',
      path: '/v1/jobs/:jobId',
      operationId: 'cancelJob',
      summary: 'Cancel a job that has not ended, or delete one that has',
      description:
        'A queued job never runs; a running one is stopped and settled at what it spent: answered with the job once it is settled (200). ' +
        'A job that has ended is deleted with everything stored with it (input, result, events, deliveries): 204, and then 404.',
      tags: ['jobs'],
      params: jobId,
      responses: { 200: { description: 'The job, cancelled', json: jobSchema }, 204: { description: 'The ended job and all it stored are deleted' } },
      problems: [404],
      handlers: [
        async (req, res) => {
          const job = await jobs.cancelOrDelete(req.caller.name, String(req.params.jobId));
          if (job) res.json(jobDocument(job));
          else res.status(204).end();
        },
      ],
    }),
  ];
}
