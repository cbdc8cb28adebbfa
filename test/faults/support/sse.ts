import { readEventStream, type ReceivedEvent } from '@ccp/testing';
import type { CallRecord, SpendExpectation } from './calls';
import type { Probe } from './probe';

/** An SSE call as the caller saw it: its events, and the record its audit line is checked against. */
export interface SseCall {
  readonly status: number;
  readonly events: ReceivedEvent[];
  readonly call: CallRecord;
}

/**
 * POSTs a JSON body with `Accept: text/event-stream` and reads the stream to its end,
 * calling `onEvent` as each event arrives; recorded on the probe as an `sse` call whose
 * outcome is its last event (`result`, or the code of its `error`).
 */
export async function sseCall(p: Probe, label: string, path: string, body: unknown, options: { onEvent?: (e: ReceivedEvent) => void; spend?: SpendExpectation; timeoutMs?: number } = {}): Promise<SseCall> {
  const requestId = p.nextRequestId();
  const res = await fetch(`${p.server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-request-id': requestId, ...p.server.keys.user.headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
  const events = res.headers.get('content-type')?.startsWith('text/event-stream') ? await readEventStream(res, (e) => void options.onEvent?.(e)).catch(() => []) : [];
  const last = events.at(-1);
  const problem = last?.event === 'error' ? (last.data as { code?: string; status?: number }) : undefined;
  const status = last?.event === 'result' ? 200 : problem ? Number(problem.status) : res.status;
  const code = last?.event === 'result' ? 'success' : (problem?.code ?? (res.status >= 400 ? String(((await res.json().catch(() => ({}))) as { code?: string }).code) : 'none'));
  const usage = last?.event === 'result' ? (last.data.usage as { costUsd?: number } | undefined) : undefined;
  const call = p.record({
    label,
    transport: 'sse',
    requestId,
    status,
    code,
    audited: true,
    spend: options.spend ?? (code === 'success' ? 'reported' : 'none'),
    ...(typeof usage?.costUsd === 'number' ? { costUsd: usage.costUsd } : {}),
  });
  return { status, events, call };
}
