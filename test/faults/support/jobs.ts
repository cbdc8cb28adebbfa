import { readEventStream, type ReceivedEvent } from '@ccp/testing';
import type { CallRecord, SpendExpectation } from './calls';
import { must } from './problems';
import type { Probe } from './probe';

/** A job submitted with Prefer: respond-async, and its event stream read to the end. */
export interface WatchedJob {
  readonly id: string;
  readonly requestId: string;
  /** Resolves with the job's events once its stream ends (its `result` or `error`), and records it as a call. */
  readonly ended: Promise<{ events: ReceivedEvent[]; call: CallRecord }>;
}

/**
 * Submits an operation as a background job (202) and opens its event stream at once, so
 * how it ends is seen even if the server exits right after (a drain ends with the job).
 * The job is one call: its audit line carries the submission's request id.
 */
export async function submitWatchedJob(p: Probe, label: string, path: string, body: unknown, spend?: SpendExpectation): Promise<WatchedJob> {
  const requestId = p.nextRequestId();
  const res = await fetch(`${p.server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', prefer: 'respond-async', 'x-request-id': requestId, ...p.server.keys.user.headers },
    body: JSON.stringify(body),
  });
  const submitted = (await res.json()) as { id?: string; code?: string };
  must(res.status === 202 && typeof submitted.id === 'string', 'the job submission', 202, `${res.status} ${JSON.stringify(submitted).slice(0, 150)}`);
  const id = String(submitted.id);
  p.own(requestId);
  const stream = await fetch(`${p.server.url}/v1/jobs/${id}/events`, { headers: p.server.keys.user.headers, signal: AbortSignal.timeout(60_000) });
  const ended = readEventStream(stream)
    .catch(() => [] as ReceivedEvent[])
    .then((events) => {
      const last = events.at(-1);
      const problem = last?.event === 'error' ? (last.data as { code?: string; status?: number }) : undefined;
      const code = last?.event === 'result' ? 'success' : (problem?.code ?? 'none');
      const usage = last?.event === 'result' ? (last.data.usage as { costUsd?: number } | undefined) : undefined;
      const call = p.record({
        label,
        transport: 'job',
        requestId,
        status: last?.event === 'result' ? 200 : Number(problem?.status ?? 0),
        code,
        audited: true,
        spend: spend ?? (code === 'success' ? 'reported' : 'none'),
        ...(typeof usage?.costUsd === 'number' ? { costUsd: usage.costUsd } : {}),
      });
      return { events, call };
    });
  return { id, requestId, ended };
}
