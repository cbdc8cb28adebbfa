import { ConflictError, type ResultFormat } from '@ccp/plugin-api';
import type { JobService } from '../../jobs/job-service';
import type { PluginRegistry } from '../../plugins/registry';
import { route, type Route } from '../api/route';
import { callResultSchema } from '../api/schemas';
import { formatAlternatives, formatQuery, negotiateFormat, sendNegotiated } from '../result-format';

/** Every format any served operation has, once per media type (the route serves all of them). */
function allFormats(registry: PluginRegistry): ResultFormat[] {
  const byType = new Map<string, ResultFormat>();
  for (const plugin of registry.list()) for (const op of plugin.operations.values()) for (const f of op.definition.formats ?? []) if (!byType.has(f.mediaType)) byType.set(f.mediaType, f);
  return [...byType.values()];
}

/**
 * `GET /v1/jobs/:jobId/result`: what a finished job's synchronous call would have answered,
 * as JSON or as one of its operation's formats (`?format=` or `Accept`, as on the operation):
 * the result of a job that succeeded, the problem (with its status) of one that failed or was
 * cancelled, 409 `job_not_finished` while it is queued or running.
 */
export function jobResultRoutes(jobs: JobService, registry: PluginRegistry): Route[] {
  return [
    route({
      method: 'get',
      path: '/v1/jobs/:jobId/result',
      operationId: 'getJobResult',
      summary: "A finished job's result, as JSON or as a report of its operation (?format= or Accept)",
      description:
        'The body the synchronous call would have answered: on success the call body (as on the operation; `?format=` or `Accept` picks one of its operation\'s formats, e.g. `sarif` for code-review), ' +
        'on failure or cancellation the job\'s problem document with its status. 409 job_not_finished while it is queued or running (see Retry-After).',
      tags: ['jobs'],
      params: { jobId: 'The job id, from the Location of its submission' },
      ...(formatQuery(allFormats(registry)) ? { query: formatQuery(allFormats(registry)) } : {}),
      responses: {
        200: { description: "The result (JSON), or a report in one of the operation's formats", json: callResultSchema(), alternatives: formatAlternatives(allFormats(registry)), headers: { Vary: 'Accept' } },
      },
      problems: [404, 406, 409, 502, 504],
      handlers: [
        async (req, res) => {
          const job = await jobs.get(req.caller.name, String(req.params.jobId));
          const operation = registry.get(job.plugin)?.operations.get(job.operation);
          const negotiated = negotiateFormat(req, operation?.definition.formats ?? [], `${job.plugin}/${job.operation}`);
          if (job.state === 'succeeded' && job.result) {
            const { result } = job;
            sendNegotiated(res, negotiated, result, () => job.input);
            return;
          }
          if (job.error) {
            res.status(Number(job.error.status) || 500).type('application/problem+json').json(job.error);
            return;
          }
          throw new ConflictError('job_not_finished', `Job ${job.id} is ${job.state}. Ask again once it has finished: GET /v1/jobs/${job.id} shows its state, GET /v1/jobs/${job.id}/events streams it to the end.`, { retryAfterSeconds: 2 });
        },
      ],
    }),
  ];
}
