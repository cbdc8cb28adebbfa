import { splitSecrets } from '../jobs/webhooks/webhook-signer';
import type { PlatformConfig, Secrets } from './schema';

/**
 * Environment variables that override config keys. This table is the one place
 * where that happens; the README's configuration section lists the same names.
 */
export const ENV_OVERRIDES = [
  { env: 'PORT', path: ['server', 'port'], type: 'number' },
  { env: 'HOST', path: ['server', 'host'], type: 'string' },
  { env: 'CCP_BODY_LIMIT_BYTES', path: ['server', 'bodyLimitBytes'], type: 'number' },
  { env: 'LOG_LEVEL', path: ['logging', 'level'], type: 'string' },
  { env: 'CCP_MODEL', path: ['claude', 'model'], type: 'string' },
  { env: 'CCP_CLAUDE_TIMEOUT_MS', path: ['claude', 'timeoutMs'], type: 'number' },
  { env: 'CCP_CLAUDE_MAX_RETRIES', path: ['claude', 'maxRetries'], type: 'number' },
  { env: 'CCP_WORKSPACE_ROOT', path: ['claude', 'workspaceRoot'], type: 'string' },
  { env: 'CCP_CLAUDE_EXECUTABLE', path: ['claude', 'executable'], type: 'string' },
  { env: 'CCP_BREAKER_ENABLED', path: ['breaker', 'enabled'], type: 'boolean' },
  { env: 'CCP_SESSION_TTL_MS', path: ['sessions', 'ttlMs'], type: 'number' },
  { env: 'CCP_SESSION_MAX_TURNS', path: ['sessions', 'maxTurns'], type: 'number' },
  { env: 'CCP_MIRROR_DIR', path: ['sources', 'mirrorDir'], type: 'string' },
  { env: 'CCP_DATABASE_ENABLED', path: ['database', 'enabled'], type: 'boolean' },
  { env: 'CCP_DATA_DIR', path: ['database', 'embeddedDir'], type: 'string' },
] as const;

function parse(raw: string, type: 'number' | 'string' | 'boolean'): unknown {
  if (type === 'number') return raw.trim() === '' ? raw : Number(raw);
  if (type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  return raw;
}

/** Applies the overrides to a raw (unvalidated) config object; returns the variables used. */
export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Map<string, string> {
  const used = new Map<string, string>();
  for (const { env: name, path, type } of ENV_OVERRIDES) {
    const value = env[name];
    if (value === undefined) continue;
    let node = raw;
    for (const key of path.slice(0, -1)) {
      if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1] as string] = parse(value, type);
    used.set(path.join('.'), name);
  }
  return used;
}

/**
 * Reads the secrets; empty strings count as unset. Given the `auth` section, also the webhook
 * secret of each key that names a variable for one (`webhookSecretEnv`).
 */
export function readSecrets(env: NodeJS.ProcessEnv, auth?: Pick<PlatformConfig['auth'], 'keys'>): Secrets {
  const pick = (name: string) => (env[name]?.trim() ? env[name] : undefined);
  const keyWebhookSecrets = Object.fromEntries((auth?.keys ?? []).flatMap((k) => (k.webhookSecretEnv ? [[k.name, splitSecrets(env[k.webhookSecretEnv])]] : [])));
  return {
    anthropicApiKey: pick('ANTHROPIC_API_KEY'),
    claudeOauthToken: pick('CLAUDE_CODE_OAUTH_TOKEN'),
    anthropicBaseUrl: pick('ANTHROPIC_BASE_URL'),
    redisUrl: pick('REDIS_URL'),
    databaseUrl: pick('DATABASE_URL'),
    webhookSecrets: splitSecrets(env.CCP_WEBHOOK_SECRETS),
    ...(Object.keys(keyWebhookSecrets).length > 0 ? { keyWebhookSecrets } : {}),
  };
}
