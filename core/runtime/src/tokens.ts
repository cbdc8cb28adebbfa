import { token } from '@ccp/plugin-api';
import type { Express } from 'express';
import type { BreakerClaudeClient } from './claude/breaker-client';
import type { QueryFn } from './claude/sdk-client';
import type { PlatformConfig, Secrets } from './config/schema';
import type { HealthCheck } from './http/routes/health';
import type { OperationInvoker } from './invoke/invoker';
import type { Metrics } from './metrics/metrics';
import type { PluginRegistry } from './plugins/registry';
import type { SessionService } from './sessions/session-service';
import type { SessionStores } from './sessions/session-stores';

// The contract's tokens (CLAUDE_CLIENT, LOGGER) live in @ccp/plugin-api/tokens.ts. These
// name runtime-internal services, whose types the plugin API must not import.

export const CONFIG = token<PlatformConfig>('PlatformConfig');
export const SECRETS = token<Secrets>('Secrets');
export const METRICS = token<Metrics>('Metrics');
export const PLUGIN_REGISTRY = token<PluginRegistry>('PluginRegistry');
export const SDK_QUERY = token<QueryFn>('SdkQuery');
export const BREAKER = token<BreakerClaudeClient>('CircuitBreaker');
export const INVOKER = token<OperationInvoker>('OperationInvoker');
export const HEALTH_CHECKS = token<Record<string, HealthCheck>>('HealthChecks');
export const SESSION_STORES = token<SessionStores>('SessionStores');
export const SESSIONS = token<SessionService>('SessionService');
export const APP = token<Express>('ExpressApp');
