import { InputError } from '@ccp/plugin-api';
import { MAX_WEBHOOK_URL_LENGTH, underEntry } from './allowed-urls';

/** A webhook URL the allowlist lets through, with the entry that let it. */
export interface WebhookTarget {
  readonly url: URL;
  readonly entry: URL;
}

const refuse = (detail: string) => new InputError('webhook_not_allowed', detail);

/**
 * The operator's allowlist of webhook URLs (`jobs.webhooks.allowedUrls`, prefixes). A job's
 * webhook is checked against it at submission (a 400, so the platform never becomes a
 * request forwarder to addresses the operator did not name) and again before every
 * delivery attempt (a reload may have narrowed it).
 */
export class WebhookPolicy {
  private readonly entries: readonly URL[];

  /** `allowedUrls` were checked by the config schema ({@link allowedUrlProblem}). */
  constructor(allowedUrls: readonly string[]) {
    this.entries = allowedUrls.map((u) => new URL(u));
  }

  get enabled(): boolean {
    return this.entries.length > 0;
  }

  /** The target for a webhook URL, or a 400 `webhook_not_allowed` saying why not. */
  check(raw: string): WebhookTarget {
    if (!this.enabled) throw refuse('Webhooks are not enabled on this deployment (jobs.webhooks.allowedUrls is empty). Poll GET /v1/jobs/{id} or stream its events instead, or ask an operator to allow your receiver.');
    if (raw.length > MAX_WEBHOOK_URL_LENGTH) throw refuse(`The webhook URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters.`);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw refuse('The webhook is not an absolute URL. Send one such as https://hooks.example.com/ccp under an allowed prefix.');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse('The webhook must be an http:// or https:// URL.');
    if (url.username || url.password) throw refuse('The webhook URL must not carry a user or password (it would be stored with the job); put a token in its path or query, or rely on the signature.');
    if (url.hash) throw refuse('The webhook URL must not have a fragment.');
    const entry = this.entries.find((e) => underEntry(url, e));
    // The allowlist itself is not echoed: it may name internal receivers of other tenants.
    if (!entry) throw refuse(`The webhook ${url.origin}${url.pathname} is not under any URL the operator allows (jobs.webhooks.allowedUrls). Ask an operator which receivers are allowed.`);
    return { url, entry };
  }
}
