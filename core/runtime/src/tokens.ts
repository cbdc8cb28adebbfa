import { token, type Token } from '@ccp/plugin-api';
import type { Express } from 'express';
import type { AuditLog } from './audit/audit-log';
import type { Authenticator } from './auth/api-keys';
import type { KeyDirectory } from './auth/key-directory';
import type { KeyService } from './auth/key-service';
import type { Database } from './db/database';
import type { LedgerWriter } from './ledger/ledger-writer';
import type { Planner } from './calls/plan';
import type { CallRunner } from './calls/runner';
import type { PlatformConfig, Secrets } from './config/schema';
import type { DecoratedEngine } from './engine/decorate';
import type { AgentSdk } from './engine/agent-sdk/sdk';
import type { EngineRouter } from './engine/router';
import type { Engine } from './engine/types';
import type { HealthCheck } from './http/routes/health';
import type { McpSessions } from './http/mcp/mcp-sessions';
import type { BatchService } from './jobs/batch-service';
import type { BatchStore } from './jobs/batch-store';
import type { JobService } from './jobs/job-service';
import type { JobQueue } from './jobs/job-queue';
import type { JobStore } from './jobs/job-store';
import type { WebhookDispatcher } from './jobs/webhooks/webhook-dispatcher';
import type { InstanceStatus } from './instances/instance-status';
import type { Lifecycle } from './lifecycle/lifecycle';
import type { BudgetLimit } from './limits/budget';
import type { Capacity } from './limits/capacity';
import type { ConcurrencyLimit } from './limits/concurrency';
import type { PluginRateLimit, RequestRateLimit } from './limits/rate-limits';
import type { HourWindow } from './metrics/hour-window';
import type { Metrics } from './metrics/metrics';
import type { PluginRegistry } from './plugins/registry';
import type { SessionService } from './sessions/session-service';
import type { GitRunner } from './sources/git-runner';
import type { RepositorySources } from './sources/sources';
import type { CacheStore } from './state/cache-store';
import type { SharedState } from './state/shared-state';

// The contract's tokens (LOGGER) live in @ccp/plugin-api/tokens.ts. These name
// runtime-internal services, whose types the plugin API must not import.

export const CONFIG = token<PlatformConfig>('PlatformConfig');
export const SECRETS = token<Secrets>('Secrets');
export const METRICS = token<Metrics>('Metrics');
export const CLOCK = token<() => Date>('Clock');
/** The instance's limits, derived from the host's memory and CPUs unless config sets them. */
export const CAPACITY = token<Capacity>('Capacity');
export const PLUGIN_REGISTRY = token<PluginRegistry>('PluginRegistry');
export const SHARED_STATE = token<SharedState>('SharedState');
export const CACHE_STORE = token<CacheStore | undefined>('ResponseCacheStore');
export const AUTHENTICATOR = token<Authenticator>('Authenticator');
export const AUDIT_LOG = token<AuditLog>('AuditLog');
/** The database of API keys and the usage ledger (PostgreSQL or the embedded PGlite); undefined without one. */
export const DATABASE = token<Database | undefined>('Database');
/** This instance's snapshot of the database's keys, refreshed every database.keyRefreshMs. */
export const KEY_DIRECTORY = token<KeyDirectory | undefined>('KeyDirectory');
/** Creating, changing, rotating and revoking API keys. */
export const KEYS = token<KeyService>('KeyService');
/** Writes one ledger row per audit line, batched. */
export const LEDGER = token<LedgerWriter | undefined>('LedgerWriter');
export const LIFECYCLE = token<Lifecycle>('Lifecycle');
/** The SDK's `query` and `prewarm` (unit tests give fakes; no `claude` then runs). */
export const AGENT_SDK = token<AgentSdk>('AgentSdk');
/** The innermost agent engine (unit tests give a fake; the decorators still wrap it). */
export const AGENT_ENGINE = token<Engine>('AgentEngine');
export const AGENT_DECORATED = token<DecoratedEngine>('DecoratedAgentEngine');
/** The Messages API engine (tests may give one with a fake API). */
export const MESSAGES_ENGINE = token<Engine>('MessagesEngine');
export const ENGINE_ROUTER = token<EngineRouter>('EngineRouter');
export const REQUEST_RATE_LIMIT = token<RequestRateLimit>('RequestRateLimit');
export const PLUGIN_RATE_LIMIT = token<PluginRateLimit>('PluginRateLimit');
export const CONCURRENCY_LIMIT = token<ConcurrencyLimit>('ConcurrencyLimit');
export const BUDGET_LIMIT = token<BudgetLimit>('BudgetLimit');
export const PLANNER = token<Planner>('Planner');
export const CALL_RUNNER = token<CallRunner>('CallRunner');
export const SESSIONS = token<SessionService>('SessionService');
/** Where jobs are kept (this instance's memory, or Redis shared by replicas). */
export const JOB_STORE = token<JobStore>('JobStore');
/** What runs jobs (an in-process queue, or BullMQ on Redis shared by replicas). */
export const JOB_QUEUE = token<JobQueue>('JobQueue');
export const JOBS = token<JobService>('JobService');
/** Where batches are kept (in memory, or in Redis beside the jobs with REDIS_URL). */
export const BATCH_STORE = token<BatchStore>('BatchStore');
export const BATCHES = token<BatchService>('BatchService');
/** Delivers ended batches' webhooks. */
export const BATCH_WEBHOOKS = token<WebhookDispatcher>('BatchWebhookDispatcher');
/** Delivers finished jobs' webhooks (in-process retries now). */
export const WEBHOOKS = token<WebhookDispatcher>('WebhookDispatcher');
/** Runs git for repository sources (tests wrap it to see every command). */
export const GIT_RUNNER = token<GitRunner>('GitRunner');
/** Repository sources: mirrors, the resolver and the tree materialiser. */
export const SOURCES = token<RepositorySources>('RepositorySources');
export const HEALTH_CHECKS = token<Record<string, HealthCheck>>('HealthChecks');
/** The MCP sessions open on this instance (`/mcp`). */
export const MCP_SESSIONS = token<McpSessions>('McpSessions');
/** This instance's id in the status and the shared list of instances: host name, process id and a random suffix (tests running several runtimes in one process give each its own). */
export const INSTANCE_ID = token<string>('InstanceId');
/** This instance's summary and the list of every live instance. */
export const INSTANCE_STATUS = token<InstanceStatus>('InstanceStatus');
/** The status's last hour: snapshots of the calls per plugin and the time-to-first-token histogram. */
export const STATUS_WINDOW = token<HourWindow>('StatusWindow');
export const APP = token<Express>('ExpressApp');

/** One service given instead of the one the composition root would build. */
export interface Override<T = unknown> {
  readonly token: Token<T>;
  readonly value: T;
}

/** Gives `value` for `token` (tests replace one service this way; the rest is real). */
export function override<T>(t: Token<T>, value: T): Override<T> {
  return { token: t, value };
}
