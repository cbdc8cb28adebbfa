import { waitUntil } from '@ccp/testing';
import type { AuditLine } from './audit';
import { rawRequest } from './calls';
import type { Probe } from './probe';
import { must } from './problems';

/** A review input small enough to answer at once. */
export const review = (content = 'export const a = 1;\n') => ({ files: [{ path: 'a.ts', content }] });

/** A gate a simulated answer waits on (`{ auto: true, after: gate.promise }`) until the probe opens it. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Starts a session without a first input (no model call); its id. */
export async function newSession(p: Probe, plugin = 'code-review'): Promise<string> {
  const res = await p.post('start a session', `/v1/plugins/${plugin}/sessions`, {}, { call: false });
  must(res.status === 201, 'the session start', 201, `${res.status} ${res.text.slice(0, 120)}`);
  return String(res.json?.sessionId);
}

/** Waits until /health/ready answers 200 (a store came back), at most `ms`. */
export async function readyWithin(p: Probe, ms: number): Promise<void> {
  const ok = await waitUntil(async () => (await rawRequest(p.server.url, { method: 'GET', path: '/health/ready', timeoutMs: 1000 })).status === 200, ms, 100);
  must(ok, '/health/ready', `200 within ${ms} ms`, 'not ready');
}

/** The one audit line of a request id, once the server wrote it (at most 3 s). */
export async function auditLineOf(p: Probe, requestId: string): Promise<AuditLine> {
  let line: AuditLine | undefined;
  await waitUntil(() => (line = p.server.audit().find((l) => l.requestId === requestId)) !== undefined, 3000, 50);
  if (!line) throw new Error(`no audit line for ${requestId}`);
  return line;
}
