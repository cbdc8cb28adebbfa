import type { AuditLog, AuditState } from './audit/audit-log';
import type { PlatformConfig, Secrets } from './config/schema';
import type { ComponentHealth, HealthCheck } from './http/routes/health';
import { credentialsProblem } from './calls/plan';
import type { BreakerEngine } from './engine/decorators/breaker';
import type { PluginRegistry } from './plugins/registry';
import type { SharedState } from './state/shared-state';
import type { Lifecycle } from './lifecycle/lifecycle';

/** What readiness reads of the database of keys and the ledger (no query: the last outcomes). */
export interface DatabaseHealth {
  readonly kind: 'postgres' | 'pglite';
  readonly location: string;
  /** The last read of key changes failed. */
  readonly keysStale: () => boolean;
  /** The last ledger write failed; rows wait. */
  readonly ledgerFailing: () => boolean;
  readonly ledgerBacklog: () => number;
}

/** The audit component: `degraded` while the file fails and calls go on, `down` while they are refused. */
export function auditHealth(audit: AuditState): ComponentHealth {
  if (audit.sink === 'stdout') return { status: 'ok', sink: 'stdout' };
  const { failing, lastError, failingSince, ...counts } = audit;
  if (!failing) return { status: 'ok', ...counts };
  const consequence =
    audit.onFailure === 'refuse'
      ? 'New calls are refused with 503 audit_unavailable (audit.onFailure: refuse) until the queued lines are written.'
      : 'Calls go on (audit.onFailure: continue); audit lines beyond the in-memory backlog are dropped and counted.';
  return {
    status: audit.onFailure === 'refuse' ? 'down' : 'degraded',
    ...counts,
    lastError,
    failingSince,
    detail: `The audit file (audit.file) cannot be written: ${lastError ?? 'unknown error'}. ${consequence}`,
  };
}

/**
 * The components `/health/ready` reports. An open circuit breaker is `down`: this instance
 * cannot run a query until it half-opens. Half-open is only `degraded`, so the instance
 * stays in rotation and the trial query that can close the breaker reaches it.
 */
export function healthChecks(
  config: PlatformConfig,
  secrets: Secrets,
  registry: PluginRegistry,
  state: SharedState,
  lifecycle: Lifecycle,
  breaker?: Pick<BreakerEngine, 'state' | 'retryAfterSeconds'>,
  audit?: Pick<AuditLog, 'state'>,
  database?: DatabaseHealth,
): Record<string, HealthCheck> {
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
      if (state === 'closed') return { status: 'ok', state };
      if (state === 'half_open') return { status: 'degraded', state, detail: 'One trial query is testing Claude after upstream failures; other queries fail fast until it succeeds.' };
      return { status: 'down', state, retryAfterSeconds: breaker.retryAfterSeconds(), detail: `Claude queries are paused after upstream failures; the breaker lets a trial query through in ${breaker.retryAfterSeconds()} s.` };
    },
    ...(audit ? { audit: () => auditHealth(audit.state()) } : {}),
    // Degraded, not down: calls go on (keys are authenticated from the snapshot, ledger rows wait).
    ...(database
      ? {
          database: () => {
            const base = { kind: database.kind, location: database.location, ledgerBacklog: database.ledgerBacklog() };
            const problems = [
              ...(database.keysStale() ? ['key changes cannot be read (each instance serves its last snapshot of keys)'] : []),
              ...(database.ledgerFailing() ? ['usage ledger rows cannot be written (they are kept and retried)'] : []),
            ];
            return problems.length === 0 ? { status: 'ok', ...base } : { status: 'degraded', ...base, detail: `The database does not answer: ${problems.join('; ')}.` };
          },
        }
      : {}),
  };
}
