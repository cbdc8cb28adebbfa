import { token } from '@ccp/plugin-api';
import type { Express } from 'express';
import type { AuditLog } from './audit/audit-log';
import type { Authenticator } from './auth/api-keys';
import type { BreakerClaudeClient } from './claude/breaker-client';
import type { QueryFn } from './claude/sdk-client';
import type { PlatformConfig, Secrets } from './config/schema';
import type { HealthCheck } from './http/routes/health';
import type { OperationInvoker } from './invoke/invoker';
import type { CallGuard } from './limits/guard';
import type { Metrics } from './metrics/metrics';
import type { PluginRegistry } from './plugins/registry';
import type { SessionService } from './sessions/session-service';
import type { SharedState } from './shared-state';

// The contract's tokens (CLAUDE_CLIENT, LOGGER) live in @ccp/plugin-api/tokens.ts. These
// name runtime-internal services, whose types the plugin API must not import.

export const CONFIG = token<PlatformConfig>('PlatformConfig');
export const SECRETS = token<Secrets>('Secrets');
export const METRICS = token<Metrics>('Metrics');
export const PLUGIN_REGISTRY = token<PluginRegistry>('PluginRegistry');
export const SHARED_STATE = token<SharedState>('SharedState');
export const AUTHENTICATOR = token<Authenticator>('Authenticator');
export const CALL_GUARD = token<CallGuard>('CallGuard');
export const AUDIT_LOG = token<AuditLog>('AuditLog');
export const SDK_QUERY = token<QueryFn>('SdkQuery');
export const BREAKER = token<BreakerClaudeClient>('CircuitBreaker');
export const INVOKER = token<OperationInvoker>('OperationInvoker');
export const SESSIONS = token<SessionService>('SessionService');
export const HEALTH_CHECKS = token<Record<string, HealthCheck>>('HealthChecks');
export const APP = token<Express>('ExpressApp');
