import type { Logger } from '@ccp/plugin-api';
import pino from 'pino';

/** Log paths that are always censored, wherever they appear. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.apiKey',
  '*.anthropicApiKey',
  '*.claudeOauthToken',
  '*.redisUrl',
  '*.databaseUrl',
  '*.webhookSecrets',
  '*.keyWebhookSecrets',
  'env.ANTHROPIC_API_KEY',
  'env.CLAUDE_CODE_OAUTH_TOKEN',
];

/** What must never appear in a log line, whatever field it hides in. */
export interface LogSecrets {
  /** Exact values (the Anthropic key, the OAuth token, the Redis URL). */
  readonly values?: readonly (string | undefined)[];
  /** Regular expressions from `logging.redactPatterns`. */
  readonly patterns?: readonly string[];
}

/** Anthropic key shapes, platform keys and webhook secrets, censored even when nobody configured them. */
const BUILT_IN = [/sk-ant-[A-Za-z0-9_-]{8,}/g, /ccp_[A-Za-z0-9_-]{20,}/g, /whsec_[A-Za-z0-9+/=]{8,}/g];
/** A bearer token: the word stays, the token goes. */
const BEARER = /(Bearer\s+)[^\s"]+/gi;

/** A function that censors secrets in a finished log line. */
export function scrubber(secrets: LogSecrets): (line: string) => string {
  const values = (secrets.values ?? []).filter((v): v is string => typeof v === 'string' && v.length >= 6);
  const patterns = [...BUILT_IN, ...(secrets.patterns ?? []).map((p) => new RegExp(p, 'g'))];
  return (line) => {
    let out = line;
    for (const v of values) out = out.split(v).join('[redacted]');
    // Operator patterns replace the whole match: a capture group must not keep the secret.
    for (const re of patterns) out = out.replace(re, '[redacted]');
    return out.replace(BEARER, '$1[redacted]');
  };
}

/**
 * The platform logger: JSON lines to stdout (or `destination`). Known fields are censored
 * by path, and every finished line is scrubbed of secret values and patterns, so a secret
 * that slips into a message or an error is caught too.
 */
export function createLogger(level: string, secrets: LogSecrets = {}, destination?: pino.DestinationStream): Logger {
  const scrub = scrubber(secrets);
  return pino(
    {
      level,
      base: { service: 'claude-code-platform' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: { streamWrite: scrub },
    },
    destination,
  );
}
