import { Webhook } from 'standardwebhooks';

/** The three headers of a Standard Webhooks delivery. */
export type WebhookHeaders = {
  readonly 'webhook-id': string;
  /** Unix seconds of this attempt. */
  readonly 'webhook-timestamp': string;
  /** `v1,<base64 HMAC-SHA256>` per secret, space-separated. */
  readonly 'webhook-signature': string;
};

const PREFIX = 'whsec_';

/**
 * What is wrong with a webhook secret, or undefined. Standard Webhooks secrets are `whsec_`
 * and the base64 of 24 to 64 random bytes (`echo "whsec_$(openssl rand -base64 32)"`).
 * The message never repeats the secret.
 */
export function webhookSecretProblem(secret: string): string | undefined {
  if (!secret.startsWith(PREFIX)) return 'must start with whsec_ (a Standard Webhooks secret: whsec_ and base64 of 24-64 random bytes)';
  const b64 = secret.slice(PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return 'must be whsec_ followed by standard base64';
  const bytes = Buffer.from(b64, 'base64').length;
  if (bytes < 24 || bytes > 64) return `must hold 24 to 64 bytes after whsec_ (it holds ${bytes}): generate one with echo "whsec_$(openssl rand -base64 32)"`;
  return undefined;
}

/** A comma-separated list of secrets, trimmed, empties dropped. */
export function splitSecrets(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Signs webhook deliveries with one or more secrets (a rotation: the first is the newest).
 * Every secret adds its own `v1,` signature to `webhook-signature`, so a receiver holding
 * either the old or the new secret verifies the delivery while the rotation lasts. The
 * secrets live in a private field: nothing serialises or logs them.
 */
export class WebhookSigner {
  readonly #hooks: readonly Webhook[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('a webhook signer needs at least one secret');
    this.#hooks = secrets.map((s) => new Webhook(s));
  }

  /** The headers of one attempt of message `id` sent at `at` with exactly `body`. */
  headers(id: string, at: Date, body: string): WebhookHeaders {
    return {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': this.#hooks.map((h) => h.sign(id, at, body)).join(' '),
    };
  }

  toJSON(): string {
    return '[WebhookSigner]';
  }
}
