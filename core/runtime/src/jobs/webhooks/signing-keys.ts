import { ANONYMOUS } from '../../auth/caller';
import type { PlatformConfig, Secrets } from '../../config/schema';
import { webhookSecretProblem, WebhookSigner } from './webhook-signer';

/**
 * Who signs whose webhooks: a key with its own secret (`auth.keys[].webhookSecretEnv`) has
 * its deliveries signed with that secret alone, so a tenant that knows its own secret cannot
 * forge a delivery another tenant's receiver would accept; every other caller's deliveries
 * are signed with `CCP_WEBHOOK_SECRETS`.
 */
export class SigningKeys {
  private constructor(
    private readonly shared: WebhookSigner | undefined,
    private readonly perKey: ReadonlyMap<string, WebhookSigner>,
  ) {}

  /** Built from checked secrets ({@link webhookSecretProblems} found nothing). */
  static from(secrets: Secrets): SigningKeys {
    const shared = secrets.webhookSecrets?.length ? new WebhookSigner(secrets.webhookSecrets) : undefined;
    const perKey = new Map(Object.entries(secrets.keyWebhookSecrets ?? {}).filter(([, s]) => s.length > 0).map(([name, s]) => [name, new WebhookSigner(s)] as const));
    return new SigningKeys(shared, perKey);
  }

  /** The signer of this caller's deliveries, if any secret covers it. */
  forCaller(name: string): WebhookSigner | undefined {
    return this.perKey.get(name) ?? this.shared;
  }
}

/**
 * Every problem with the webhook secrets, for the boot message (never a secret's value):
 * a malformed `CCP_WEBHOOK_SECRETS` entry, a key's `webhookSecretEnv` naming a variable that
 * is unset or malformed, and webhooks allowed while some caller has no secret to sign with.
 */
export function webhookSecretProblems(config: Pick<PlatformConfig, 'auth' | 'jobs'>, secrets: Secrets): string[] {
  const problems: string[] = [];
  (secrets.webhookSecrets ?? []).forEach((s, i) => {
    const p = webhookSecretProblem(s);
    if (p) problems.push(`CCP_WEBHOOK_SECRETS (entry ${i + 1}): ${p}`);
  });
  config.auth.keys.forEach((k, i) => {
    if (!k.webhookSecretEnv) return;
    const own = secrets.keyWebhookSecrets?.[k.name] ?? [];
    if (own.length === 0) problems.push(`auth.keys.${i}.webhookSecretEnv (key "${k.name}"): the variable ${k.webhookSecretEnv} is not set`);
    own.forEach((s, j) => {
      const p = webhookSecretProblem(s);
      if (p) problems.push(`auth.keys.${i}.webhookSecretEnv (key "${k.name}"): ${k.webhookSecretEnv} (entry ${j + 1}) ${p}`);
    });
  });
  if (config.jobs.webhooks.allowedUrls.length > 0 && !secrets.webhookSecrets?.length) {
    const unsigned = config.auth.enabled ? config.auth.keys.filter((k) => !k.webhookSecretEnv).map((k) => `"${k.name}"`) : [`"${ANONYMOUS.name}" (authentication is off)`];
    if (unsigned.length > 0) problems.push(`jobs.webhooks.allowedUrls: webhooks are allowed but nothing would sign the deliveries of ${unsigned.join(', ')}: set CCP_WEBHOOK_SECRETS (whsec_…, comma-separated for a rotation) or give each key a webhookSecretEnv`);
  }
  return problems;
}
