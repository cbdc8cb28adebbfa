import { createParser } from 'eventsource-parser';
import { CliError, problemError, type Problem } from './cli-error';

/** A job as the platform shows it (the fields the command reads). */
export interface JobDocument {
  readonly id: string;
  readonly state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  readonly progress?: { readonly turns: number; readonly toolCalls: number; readonly tools: readonly string[]; readonly costUsd: number };
  readonly error?: Problem;
}

/** One event of a job's stream. */
export interface JobEvent {
  readonly id: number;
  readonly type: string;
  readonly data: unknown;
}

/** The platform's HTTP API as the command uses it: submit a job, follow it, read its result. */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.key}`, 'user-agent': 'ccp-cli', ...extra };
  }

  private async request(what: string, path: string, init: RequestInit = {}): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetchImpl(new URL(path, this.baseUrl), { ...init, headers: this.headers(init.headers as Record<string, string>) });
    } catch (err) {
      throw new CliError(`${what}: cannot reach the platform at ${this.baseUrl} (${(err as Error).message}); check CCP_URL`);
    }
    if (!res.ok) {
      const text = await res.text();
      let problem: Problem = {};
      try {
        problem = JSON.parse(text) as Problem;
      } catch {
        problem = { detail: text.slice(0, 500) };
      }
      throw problemError(what, problem, res.status);
    }
    return res;
  }

  /** `POST /v1/jobs`: the job, queued. */
  async submit(plugin: string, operation: string, input: unknown): Promise<JobDocument> {
    const res = await this.request('submitting the review', '/v1/jobs', { method: 'POST', body: JSON.stringify({ plugin, operation, input }), headers: { 'content-type': 'application/json' } });
    return (await res.json()) as JobDocument;
  }

  async job(id: string): Promise<JobDocument> {
    return (await (await this.request('reading the job', `/v1/jobs/${encodeURIComponent(id)}`)).json()) as JobDocument;
  }

  /**
   * Follows the job's events until its `result` or `error` (`GET /v1/jobs/{id}/events`),
   * reconnecting with Last-Event-ID if the stream breaks, as often as `retries` allows.
   */
  async follow(id: string, onEvent: (e: JobEvent) => void, retries = 5): Promise<void> {
    let last = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.request('following the job', `/v1/jobs/${encodeURIComponent(id)}/events`, { headers: { accept: 'text/event-stream', ...(last ? { 'last-event-id': String(last) } : {}) } });
        let ended = false;
        const parser = createParser({
          onEvent: (e) => {
            last = Number(e.id ?? last);
            const event = { id: last, type: e.event ?? 'message', data: JSON.parse(e.data) as unknown };
            onEvent(event);
            if (event.type === 'result' || event.type === 'error') ended = true;
          },
        });
        const decoder = new TextDecoder();
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
        if (ended) return;
      } catch (err) {
        // A refusal (404, 401) will not change on a retry; a stream that broke may resume.
        if (err instanceof CliError) throw err;
        if (attempt >= retries) throw new CliError(`following the job: the stream broke (${(err as Error).message})`);
      }
      if (attempt >= retries) throw new CliError('following the job: the stream ended before the job did');
      await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** attempt, 10_000)));
    }
  }

  /** `GET /v1/jobs/{id}/result`: the finished job's body (JSON), or a report in `format`. */
  async result(id: string, format?: string): Promise<string> {
    const query = format && format !== 'json' ? `?format=${encodeURIComponent(format)}` : '';
    return (await this.request('reading the result', `/v1/jobs/${encodeURIComponent(id)}/result${query}`)).text();
  }
}
