import { request } from 'node:http';

/** How a call's audit line must settle its spend. */
export type SpendExpectation =
  /** Refused or ended before anything was spent: zero tokens, $0, basis `none`. */
  | 'none'
  /** Answered: the cost the engine reported, which the answer's `usage.costUsd` shows. */
  | 'reported'
  /** Exactly these figures (a crash or a cut, priced from what the simulator billed). */
  | { readonly costUsd: number; readonly inputTokens: number; readonly outputTokens: number; readonly basis: string }
  /** Any figure, checked by the probe itself. */
  | 'any';

/** One call a probe made: what came back, and what its audit line must say. */
export interface CallRecord {
  readonly label: string;
  readonly transport: 'http' | 'sse' | 'ws' | 'job';
  /** The request id its audit line carries (for WebSocket calls, known once the server answered). */
  requestId?: string;
  /** The HTTP status, or the problem's status of a WebSocket or SSE error; 200 for a result; 0 for no answer. */
  status: number;
  /** `success`, or the problem code the caller got; `none` when no answer came. */
  code: string;
  /** Whether it is a call (one audit line) rather than a request to another route. */
  readonly audited: boolean;
  spend: SpendExpectation;
  /** The answer's `usage.costUsd`, for `reported`. */
  costUsd?: number;
}

/** An HTTP answer as the probes read it. */
export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly ms: number;
  /** The parsed body when it is JSON. */
  readonly json: Record<string, unknown> | undefined;
}

/** What {@link rawRequest} sends. */
export interface RawRequest {
  readonly method: string;
  /** Sent as is: not normalised, not re-encoded (`/../`, `%E0%A4%A` reach the server as written). */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly timeoutMs?: number;
}

/**
 * One HTTP request on a connection of its own, the path and body sent byte for byte. A
 * request that gets no answer within `timeoutMs` resolves with status 0 and the reason.
 */
export function rawRequest(base: string, r: RawRequest): Promise<Answer> {
  const started = performance.now();
  const url = new URL(base);
  return new Promise((resolve) => {
    const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body);
    const req = request(
      { host: url.hostname, port: url.port, method: r.method, path: r.path, agent: false, timeout: r.timeoutMs ?? 30_000, headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...r.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, ms: Math.round(performance.now() - started), json });
        });
        res.on('error', (err) => resolve({ status: 0, headers: {}, text: `response failed: ${err.message}`, ms: Math.round(performance.now() - started), json: undefined }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${r.timeoutMs ?? 30_000} ms`)));
    req.on('error', (err) => resolve({ status: 0, headers: {}, text: err.message, ms: Math.round(performance.now() - started), json: undefined }));
    req.end(body);
  });
}

/** The code an answer carries: `success` for a 2xx, else its problem's code. */
export function codeOf(answer: Pick<Answer, 'status' | 'json'>): string {
  if (answer.status === 0) return 'none';
  if (answer.status < 300) return 'success';
  return typeof answer.json?.code === 'string' ? answer.json.code : `status ${answer.status}`;
}
