import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { autoReply } from './auto-model';
import { answerEvents, brokenStreamAnswer, chunkPace, estimateTokens, faultAnswer, jsonAnswer, paceTotal, streamAnswer, type Pace, type Sleep } from './answer';
import { jittered, requestRandom, resolveProfile, type LatencyProfile } from './profile';
import type { RecordedRequest, SimBlock, SimReply } from './types';

/** A running Messages API simulator. */
export interface Simulator {
  /** Base URL for `ANTHROPIC_BASE_URL`, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Every request received, oldest first. */
  readonly requests: readonly RecordedRequest[];
  /** Requests to `POST /v1/messages` only. */
  messageRequests(): RecordedRequest[];
  /** Queues replies for the next Messages API requests, in order. */
  enqueue(...replies: SimReply[]): void;
  /** The reply used when the queue is empty; `undefined` restores the default model. */
  setFallback(reply: SimReply | undefined): void;
  /** Clears the record, the queue and the fallback (not the profile; its draws restart). */
  reset(): void;
  /**
   * Answers like a model with this latency from the next request on (a name from
   * `PROFILES`, or a profile); `undefined` answers at once again. The seed's draws restart.
   */
  setProfile(profile: LatencyProfile | string | undefined): void;
  /** The profile in use, if any. */
  readonly profile: LatencyProfile | undefined;
  /** Resolves once `n` Messages API requests have arrived. */
  waitForMessageRequests(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function systemText(system: unknown): string {
  if (typeof system === 'string') return system;
  if (Array.isArray(system)) return system.map((b: { text?: string }) => b.text ?? '').join('\n\n');
  return '';
}

function record(seq: number, req: IncomingMessage, raw: string): RecordedRequest {
  let body: Record<string, unknown> | undefined;
  try {
    body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
  } catch {
    body = { unparsable: raw.slice(0, 200) };
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : (v ?? '');
  return {
    seq,
    at: Date.now(),
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    headers,
    body,
    system: systemText(body?.system),
    tools: ((body?.tools as { name: string }[] | undefined) ?? []).map((t) => t.name),
    messages: (body?.messages as RecordedRequest['messages'] | undefined) ?? [],
    model: body?.model as string | undefined,
    stream: body?.stream === true,
  };
}

/** Options for {@link startSimulator}. */
export interface SimulatorOptions {
  readonly port?: number;
  /** Answer like a model with this latency (see `setProfile`); at once when absent. */
  readonly profile?: LatencyProfile | string;
  /** The clock the profile waits on (tests inject one that records the waits and returns at once). */
  readonly sleep?: Sleep;
}

/** Characters per `input_json_delta` event under a profile that paces events (the real API streams a tool's input in small pieces). */
const PROFILE_JSON_CHUNK = 24;

/** The pacing of the n-th request answered under `profile`, its waits drawn from the seed. */
function profilePace(profile: LatencyProfile, random: () => number): Pace {
  const jitter = profile.jitter ?? 0;
  return { firstByteMs: jittered(profile.firstByteMs, jitter, random), gapAfter: () => jittered(profile.eventIntervalMs, jitter, random) };
}

/**
 * Starts an HTTP server on 127.0.0.1 that speaks enough of the Anthropic Messages API
 * for the real `claude` CLI: streamed and plain answers, tool calls (including the
 * `StructuredOutput` tool), scripted faults and hangs, and a record of every request.
 * With a latency profile it answers as slowly as a real model, after read-tool turns.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const requests: RecordedRequest[] = [];
  const queue: SimReply[] = [];
  const waiters = new Set<() => void>();
  const wait: Sleep = options.sleep ?? sleep;
  let fallback: SimReply | undefined;
  let profile = options.profile === undefined ? undefined : resolveProfile(options.profile);
  let profiled = 0; // requests answered under the current profile: the n of each request's draws

  const messageRequests = () => requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/messages') && !r.path.includes('count_tokens'));

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const rec = record(requests.length + 1, req, raw);
    requests.push(rec);
    res.once('close', () => {
      if (!res.writableFinished) rec.closedAt = Date.now();
    });
    const path = rec.path.split('?')[0];
    if (req.method === 'HEAD' || req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(req.method === 'GET' ? '{}' : undefined);
      return;
    }
    if (path === '/v1/messages/count_tokens') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ input_tokens: estimateTokens(raw) }));
      return;
    }
    if (path !== '/v1/messages' || !rec.body) {
      faultAnswer(res, 404);
      return;
    }
    for (const wake of waiters) wake();
    const reply = queue.shift() ?? fallback ?? { auto: true };
    const model = rec.model ?? 'claude-simulated';
    const inputTokens = estimateTokens(raw);
    rec.inputTokens = inputTokens;
    if ('hang' in reply) return; // the socket stays open until the client or close() ends it
    if ('fault' in reply) faultAnswer(res, reply.fault, reply.retryAfterSeconds);
    else if ('failMidStream' in reply) brokenStreamAnswer(res, model, inputTokens, reply.failMidStream, reply.errorType);
    else {
      if ('after' in reply && reply.after) await reply.after;
      const random = profile ? requestRandom(profile, profiled++) : undefined;
      const blocks: readonly SimBlock[] = 'blocks' in reply ? reply.blocks : autoReply(rec.body, profile, random);
      // A reply's own chunkDelayMs keeps today's pacing; otherwise the profile paces every answer.
      const pace = profile && random && reply.chunkDelayMs === undefined ? profilePace(profile, random) : chunkPace(reply.chunkDelayMs);
      const events = answerEvents(model, inputTokens, blocks, profile && profile.eventIntervalMs > 0 ? PROFILE_JSON_CHUNK : 0);
      rec.reply = blocks;
      rec.modelMs = paceTotal(pace, events);
      if (rec.stream) await streamAnswer(res, events, pace, wait);
      else {
        if (rec.modelMs > 0) await wait(rec.modelMs);
        jsonAnswer(res, model, inputTokens, blocks);
      }
    }
    rec.completedAt = Date.now();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    messageRequests,
    enqueue: (...replies) => void queue.push(...replies),
    setFallback: (reply) => void (fallback = reply),
    setProfile: (next) => {
      profile = next === undefined ? undefined : resolveProfile(next);
      profiled = 0;
    },
    get profile() {
      return profile;
    },
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      fallback = undefined;
      profiled = 0;
    },
    waitForMessageRequests: (n, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (messageRequests().length < n) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`simulator saw ${messageRequests().length} of ${n} expected requests`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
