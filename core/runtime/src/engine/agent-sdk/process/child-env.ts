import type { PlatformConfig, Secrets } from '../../../config/schema';

/** Variables copied from the platform's own environment when present. Nothing else is. */
export const PASSED_THROUGH = [
  'PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy',
  'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE',
] as const;

/**
 * The `claude` child's whole environment: an allowlist, never `process.env`. Each query
 * adds its own CLAUDE_CONFIG_DIR (see workspace.ts), so no two CLIs share a config file.
 * It holds exactly one credential and switches off everything a server does not need
 * (telemetry, error reporting, auto-update, other non-essential traffic).
 */
export function buildChildEnv(
  env: NodeJS.ProcessEnv,
  secrets: Secrets,
  claude: Pick<PlatformConfig['claude'], 'maxRetries'>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  if (secrets.anthropicApiKey) out.ANTHROPIC_API_KEY = secrets.anthropicApiKey;
  else if (secrets.claudeOauthToken) out.CLAUDE_CODE_OAUTH_TOKEN = secrets.claudeOauthToken;
  if (secrets.anthropicBaseUrl) out.ANTHROPIC_BASE_URL = secrets.anthropicBaseUrl;
  out.CLAUDE_CODE_MAX_RETRIES = String(claude.maxRetries);
  // When a response breaks after the API began streaming it, the CLI would silently ask
  // again without streaming: a second answer after part of the first. Off: such a call
  // fails (upstream_interrupted when the caller was streaming) and the caller retries.
  out.CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK = '1';
  out.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = '1';
  out.DISABLE_AUTOUPDATER = '1';
  out.DISABLE_TELEMETRY = '1';
  out.DISABLE_ERROR_REPORTING = '1';
  out.CLAUDE_AGENT_SDK_CLIENT_APP = 'claude-code-platform/0.1.0';
  return out;
}
