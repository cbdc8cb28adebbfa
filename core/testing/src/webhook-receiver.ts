import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitUntil } from './processes';

/** One request a {@link WebhookReceiver} got: its path, headers, the exact body and when it arrived. */
export interface ReceivedWebhook {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Epoch ms. */
  readonly at: number;
}

/** How the receiver answers one request: a status (with headers), or never (`hang`). */
export type ReceiverAnswer = number | { readonly status: number; readonly headers?: Record<string, string> } | 'hang';

/** A loopback HTTP server that records every request and answers from a script. */
export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: readonly ReceivedWebhook[];
  /** Answers the next requests in this order; after them, `fallback` (204 unless set). */
  script(...answers: ReceiverAnswer[]): void;
  fallback(answer: ReceiverAnswer): void;
  /** The requests to one path. */
  at(path: string): readonly ReceivedWebhook[];
  /** Waits until `count` requests arrived (true) or `timeoutMs` passed (false). */
  waitFor(count: number, timeoutMs?: number): Promise<boolean>;
  reset(): void;
  close(): Promise<void>;
}

/** Starts a {@link WebhookReceiver} on 127.0.0.1 and an ephemeral port. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedWebhook[] = [];
  let queue: ReceiverAnswer[] = [];
  let otherwise: ReceiverAnswer = 204;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const answer = queue.shift() ?? otherwise;
      if (answer === 'hang') return;
      const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
      res.writeHead(status, headers).end(status === 204 ? undefined : 'answered by the test receiver');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...answers) => void (queue = [...answers]),
    fallback: (answer) => void (otherwise = answer),
    at: (path) => requests.filter((r) => r.path === path),
    waitFor: (count, timeoutMs = 10_000) => waitUntil(() => requests.length >= count, timeoutMs, 10),
    reset: () => {
      requests.length = 0;
      queue = [];
      otherwise = 204;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
