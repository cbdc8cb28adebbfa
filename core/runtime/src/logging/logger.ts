import type { Logger } from '@ccp/plugin-api';
import pino from 'pino';

/** Log paths that are always censored, wherever they appear. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.apiKey',
  '*.anthropicApiKey',
  '*.claudeOauthToken',
  'env.ANTHROPIC_API_KEY',
  'env.CLAUDE_CODE_OAUTH_TOKEN',
];

/** The platform logger: JSON lines to stdout, secrets censored. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { service: 'claude-code-platform' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}
