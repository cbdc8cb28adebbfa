import type { PlatformConfig, Secrets } from './config/schema';
import type { HealthCheck } from './http/routes/health';
import { credentialsProblem } from './calls/plan';
import type { BreakerEngine } from './engine/decorators/breaker';
import type { PluginRegistry } from './plugins/registry';
import type { SharedState } from './state/shared-state';
import type { Lifecycle } from './lifecycle/lifecycle';

/** The components `/health/ready` reports. */
export function healthChecks(config: PlatformConfig, secrets: Secrets, registry: PluginRegistry, state: SharedState, lifecycle: Lifecycle, breaker?: BreakerEngine): Record<string, HealthCheck> {
  return {
    lifecycle: () => (lifecycle.draining ? { status: 'down', state: 'draining', detail: 'Shutting down: running calls may finish; new calls go elsewhere.' } : { status: 'ok', state: 'serving' }),
    credentials: () => {
      const problem = credentialsProblem(secrets);
      if (problem) return { status: 'down', detail: problem };
      return { status: 'ok', kind: secrets.anthropicApiKey ? 'ANTHROPIC_API_KEY' : 'CLAUDE_CODE_OAUTH_TOKEN', customBaseUrl: Boolean(secrets.anthropicBaseUrl) };
    },
    authentication: () =>
      config.auth.enabled
        ? { status: 'ok', keys: config.auth.keys.length, ...(config.auth.keys.length === 0 ? { detail: 'No API keys are configured, so every /v1 request is refused. Create one with `npm run keys -- create --name <name>`.' } : {}) }
        : { status: 'degraded', detail: 'AUTHENTICATION IS OFF (auth.enabled: false): anyone who can reach this port can run queries and spend money.' },
    sharedState: () =>
      state.healthy() ? { status: 'ok', kind: state.kind } : { status: 'down', kind: state.kind, detail: 'Redis (REDIS_URL) does not answer: sessions, limits and budgets cannot be shared.' },
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
