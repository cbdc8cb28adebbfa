import type { PlatformConfig, Secrets } from './config/schema';
import type { HealthCheck } from './http/routes/health';
import { credentialsProblem } from './invoke/invoker';
import type { BreakerClaudeClient } from './claude/breaker-client';
import type { PluginRegistry } from './plugins/registry';
import type { SessionStores } from './sessions/session-stores';

/** The components `/health/ready` reports. */
export function healthChecks(config: PlatformConfig, secrets: Secrets, registry: PluginRegistry, stores: SessionStores, breaker?: BreakerClaudeClient): Record<string, HealthCheck> {
  return {
    sessionStore: () => (stores.healthy() ? { status: 'ok', kind: stores.kind } : { status: 'down', kind: stores.kind, detail: 'Redis (REDIS_URL) does not answer; sessions cannot be stored or resumed.' }),
    credentials: () => {
      const problem = credentialsProblem(secrets);
      if (problem) return { status: 'down', detail: problem };
      return { status: 'ok', kind: secrets.anthropicApiKey ? 'ANTHROPIC_API_KEY' : 'CLAUDE_CODE_OAUTH_TOKEN', customBaseUrl: Boolean(secrets.anthropicBaseUrl) };
    },
    plugins: () => ({ status: 'ok', count: registry.list().length, ids: registry.list().map((p) => p.definition.id) }),
    circuitBreaker: () => {
      if (!breaker || !config.breaker.enabled) return { status: 'ok', state: 'disabled' };
      const state = breaker.state;
      return state === 'closed'
        ? { status: 'ok', state }
        : { status: 'degraded', state, detail: `Claude queries are paused after upstream failures; retry in ${breaker.retryAfterSeconds()} s.` };
    },
  };
}
