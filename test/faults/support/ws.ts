import WebSocket from 'ws';
import type { CallRecord, SpendExpectation } from './calls';
import type { Probe } from './probe';

/** How a WebSocket call ended, as its last event said. */
export interface WsEnding {
  readonly id: string;
  readonly type: 'result' | 'error' | 'none';
  readonly events: Record<string, unknown>[];
  readonly problem?: { code: string; status: number; requestId: string; retryAfterSeconds?: number };
  readonly call: CallRecord;
}

/** Opens `/v1/ws` on the probe's server with the user key; rejects if the upgrade fails. */
export async function openSocket(p: Probe, timeoutMs = 5000): Promise<WebSocket> {
  const ws = new WebSocket(`${p.server.url.replace('http', 'ws')}/v1/ws`, { headers: p.server.keys.user.headers });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the WebSocket did not open within ${timeoutMs} ms`)), timeoutMs);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  ws.on('error', () => undefined);
  return ws;
}

/** An upgrade the server refused: its status and problem document (rejects if the socket opened). */
export async function refusedUpgrade(p: Probe, timeoutMs = 5000): Promise<{ status: number; body: unknown }> {
  const ws = new WebSocket(`${p.server.url.replace('http', 'ws')}/v1/ws`, { headers: p.server.keys.user.headers });
  ws.on('error', () => undefined); // ended below, before it opened
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the upgrade was not answered within ${timeoutMs} ms`)), timeoutMs);
      ws.once('unexpected-response', (_req, res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') as unknown });
        });
      });
      ws.once('open', () => {
        clearTimeout(timer);
        reject(new Error('the upgrade was accepted'));
      });
    });
  } finally {
    ws.terminate();
  }
}

/**
 * Sends each message on the socket in the same tick (a burst the server reads at once) and
 * waits for each call's last event (`result` or `error`), at most `timeoutMs`. Each call is
 * recorded on the probe with the request id the server gave it, so its audit line is checked.
 */
export async function invokeAll(p: Probe, ws: WebSocket, messages: readonly Record<string, unknown>[], options: { timeoutMs?: number; spend?: SpendExpectation; label?: string } = {}): Promise<WsEnding[]> {
  const ids = messages.map((m) => String(m.id));
  const events = new Map<string, Record<string, unknown>[]>(ids.map((id) => [id, []]));
  const endings = new Map<string, Record<string, unknown>>();
  let wake: () => void = () => undefined;
  const onMessage = (raw: WebSocket.RawData) => {
    const event = JSON.parse(String(raw)) as Record<string, unknown>;
    const id = String(event.id);
    events.get(id)?.push(event);
    if (events.has(id) && (event.type === 'result' || event.type === 'error')) {
      endings.set(id, event);
      if (endings.size === ids.length) wake();
    }
  };
  ws.on('message', onMessage);
  const done = new Promise<void>((resolve) => {
    wake = resolve;
    setTimeout(resolve, options.timeoutMs ?? 30_000).unref();
  });
  for (const m of messages) ws.send(JSON.stringify(m));
  await done;
  ws.off('message', onMessage);
  return ids.map((id) => {
    const end = endings.get(id);
    const start = events.get(id)?.find((e) => e.type === 'start');
    const problem = end?.type === 'error' ? (end.problem as WsEnding['problem']) : undefined;
    const requestId = (start?.requestId as string | undefined) ?? problem?.requestId;
    const usage = end?.usage as { costUsd?: number } | undefined;
    const code = !end ? 'none' : end.type === 'result' ? 'success' : String(problem?.code);
    const call = p.record({
      label: `${options.label ?? 'WebSocket'} ${id}`,
      transport: 'ws',
      ...(requestId ? { requestId } : {}),
      status: !end ? 0 : end.type === 'result' ? 200 : Number(problem?.status),
      code,
      audited: true,
      spend: options.spend ?? (code === 'success' ? 'reported' : 'none'),
      ...(typeof usage?.costUsd === 'number' ? { costUsd: usage.costUsd } : {}),
    });
    return { id, type: !end ? 'none' : (end.type as 'result' | 'error'), events: events.get(id) ?? [], ...(problem ? { problem } : {}), call };
  });
}
