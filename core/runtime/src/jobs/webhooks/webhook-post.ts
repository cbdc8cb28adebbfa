import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { AddressRefused, guardedAddress, type Lookup, type ResolvedAddress } from './address-guard';
import type { AttemptOutcome } from './delivery';
import type { WebhookTarget } from './webhook-policy';

/** What one POST to a receiver gave. */
export interface PostResult {
  readonly outcome: AttemptOutcome;
  readonly status?: number;
  readonly error?: string;
}

/** How a webhook is posted. */
export interface PostOptions {
  /** The whole attempt: resolving, connecting, sending, the answer's status. */
  readonly timeoutMs: number;
  readonly lookup: Lookup;
}

/** Bytes of a receiver's answer read (and thrown away) before the connection is cut. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** A lookup that always gives the address already checked, so the socket cannot go elsewhere. */
const pinned = (a: ResolvedAddress): LookupFunction => (_host, options, callback) => {
  if (options.all) (callback as unknown as (err: null, all: { address: string; family: number }[]) => void)(null, [{ address: a.address, family: a.family }]);
  else callback(null, a.address, a.family);
};

class AttemptTimeout extends Error {
  override readonly name = 'AttemptTimeout';
}

/**
 * POSTs one webhook: resolves the host and checks the address ({@link guardedAddress}), then
 * connects to that address only, sends the JSON body with the signature headers and judges
 * the answer by its status: 2xx delivered, anything else (a redirect included: none is ever
 * followed) an `http_error`. The answer's body is read to a small bound and discarded. The
 * whole attempt has `timeoutMs`. Never throws.
 */
export async function postWebhook(target: WebhookTarget, headers: Readonly<Record<string, string>>, body: string, options: PostOptions): Promise<PostResult> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new AttemptTimeout(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
  try {
    const timedOut = new Promise<never>((_, reject) => abort.signal.addEventListener('abort', () => reject(abort.signal.reason), { once: true }));
    timedOut.catch(() => undefined);
    const address = await Promise.race([guardedAddress(target, options.lookup), timedOut]);
    return await new Promise<PostResult>((resolve) => {
      const client = target.url.protocol === 'https:' ? https : http;
      const req = client.request(
        target.url,
        {
          method: 'POST',
          agent: false,
          lookup: pinned(address),
          signal: abort.signal,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'claude-code-platform-webhooks/1', ...headers },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          resolve({ outcome: status >= 200 && status < 300 ? 'delivered' : 'http_error', status });
          // The answer is judged: what follows is read briefly and thrown away.
          const cut = setTimeout(() => res.destroy(), 2000);
          cut.unref();
          res.on('close', () => clearTimeout(cut));
          let read = 0;
          res.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > MAX_ANSWER_BYTES) res.destroy();
          });
          res.on('error', () => undefined);
        },
      );
      req.on('error', (err) => resolve(failure(err, abort.signal)));
      req.end(body);
    });
  } catch (err) {
    return failure(err, abort.signal);
  } finally {
    clearTimeout(timer);
  }
}

function failure(err: unknown, signal: AbortSignal): PostResult {
  if (err instanceof AddressRefused) return { outcome: 'blocked', error: err.message };
  if (signal.aborted && signal.reason instanceof AttemptTimeout) return { outcome: 'timeout', error: signal.reason.message };
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  return { outcome: 'network_error', error: typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message };
}
