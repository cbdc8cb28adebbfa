import type { AuditLog } from '../../audit/audit-log';
import type { Metrics } from '../../metrics/metrics';
import type { CallRequest } from '../call';
import type { CallContext } from '../context';
import type { Stage } from '../pipeline';
import { roundUsd } from '../spend';
import { toPlatformError } from '../to-problem';

const AUDITED = Symbol('audited');

/** Marks an error as written to the audit log, so that no later layer writes its line again. */
function markAudited(err: unknown): void {
  if (typeof err === 'object' && err !== null) (err as { [AUDITED]?: boolean })[AUDITED] = true;
}

/** Whether the call this error ended has its audit line already (the pipeline, the runner or a service wrote it). */
export function isAudited(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { [AUDITED]?: boolean })[AUDITED] === true;
}

/**
 * The first stage: refuses new calls while the audit file fails and `audit.onFailure` is
 * `refuse` (503 `audit_unavailable`); writes exactly one audit line per call, with how it ended (`success`,
 * `cache_hit`, or the problem code) and its settled spend, which the token and cost
 * metrics count too, so audit, metrics and budget show one figure.
 */
export function auditStage(audit: AuditLog, metrics: Metrics): Stage {
  return async (ctx, next) => {
    try {
      // With audit.onFailure: refuse, a call that could not be audited is not run.
      audit.assertAccepting();
      const result = await next();
      record(audit, metrics, ctx, ctx.outcome ?? 'success', undefined);
      return result;
    } catch (err) {
      record(audit, metrics, ctx, toPlatformError(err).code, err);
      markAudited(err);
      throw err;
    }
  };
}

function record(audit: AuditLog, metrics: Metrics, ctx: CallContext, outcome: string, error: unknown): void {
  const { call } = ctx;
  const spend = ctx.settle(error);
  const u = spend.usage;
  const plugin = call.plugin;
  if (u.inputTokens) metrics.tokens.inc({ plugin, type: 'input' }, u.inputTokens);
  if (u.outputTokens) metrics.tokens.inc({ plugin, type: 'output' }, u.outputTokens);
  if (u.cacheReadInputTokens) metrics.tokens.inc({ plugin, type: 'cache_read' }, u.cacheReadInputTokens);
  if (u.cacheCreationInputTokens) metrics.tokens.inc({ plugin, type: 'cache_creation' }, u.cacheCreationInputTokens);
  if (spend.costUsd > 0) metrics.costUsd.inc({ plugin }, spend.costUsd);
  audit.record({
    requestId: call.requestId,
    key: call.caller.name,
    ...(call.caller.id ? { keyId: call.caller.id } : {}),
    plugin,
    operation: call.operation,
    transport: call.transport,
    engine: ctx.plugin.engine,
    ...(call.jobId ? { jobId: call.jobId } : {}),
    outcome,
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    cacheReadInputTokens: u.cacheReadInputTokens,
    cacheCreationInputTokens: u.cacheCreationInputTokens,
    costUsd: roundUsd(spend.costUsd),
    spendBasis: spend.basis,
    durationMs: ctx.elapsedMs,
    ...(call.session ? { sessionId: call.session.id } : {}),
  });
}

/** The audit line of a call refused before it was planned (draining, not found, bad input). */
export function auditRefusal(audit: AuditLog, request: CallRequest, err: unknown, startedAt: number): void {
  markAudited(err);
  audit.record({
    requestId: request.requestId,
    key: request.caller.name,
    ...(request.caller.id ? { keyId: request.caller.id } : {}),
    ...(request.jobId ? { jobId: request.jobId } : {}),
    plugin: request.kind === 'operation' ? request.plugin : '',
    operation: request.kind === 'operation' ? request.operation : 'message',
    transport: request.transport,
    outcome: toPlatformError(err).code,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    spendBasis: 'none',
    durationMs: Math.round(performance.now() - startedAt),
    ...(request.kind === 'message' ? { sessionId: request.sessionId } : request.session ? { sessionId: request.session.id } : {}),
  });
}
