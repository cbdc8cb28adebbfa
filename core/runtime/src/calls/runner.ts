import type { AuditLog } from '../audit/audit-log';
import type { PlatformConfig } from '../config/schema';
import type { Lifecycle } from '../lifecycle/lifecycle';
import type { BudgetLimit } from '../limits/budget';
import type { Limit } from '../limits/limit';
import type { CallRequest, CallResult, CallSink } from './call';
import { CallContext } from './context';
import { compose, type Stage } from './pipeline';
import type { Planner } from './plan';
import { auditRefusal } from './stages/audit';

/**
 * The one way in for every call, whatever its transport (HTTP JSON, SSE, WebSocket,
 * session turns; later jobs and MCP): the lifecycle admits it (503 `shutting_down` while
 * draining) and tracks it to the end, the planner refuses what can be refused, then the
 * stages run in order. A call refused before it was planned still leaves its audit line,
 * and counts against the caller's request rate (`refusedRate`): a stream of bad bodies is
 * rate limited like any other requests, and cannot flood the audit log.
 */
export class CallRunner {
  private readonly pipeline: (ctx: CallContext) => Promise<CallResult>;

  constructor(
    private readonly planner: Planner,
    private readonly lifecycle: Lifecycle,
    stages: readonly Stage[],
    private readonly audit: AuditLog,
    private readonly budget: Pick<BudgetLimit, 'reservationFor'>,
    private readonly pricing: PlatformConfig['pricing'],
    private readonly refusedRate?: Limit,
  ) {
    this.pipeline = compose(stages);
  }

  /** Records a call its transport refused before handing it over (e.g. a session's first input), with the same audit line. */
  refuse(request: CallRequest, err: unknown, startedAt: number): void {
    auditRefusal(this.audit, request, err, startedAt);
  }

  /**
   * Counts a request the planner refused against the caller's request rate (a job's was
   * counted at submission); over the limit, the refusal is the 429 instead.
   */
  private async countRefused(request: CallRequest, err: unknown): Promise<unknown> {
    if (!this.refusedRate || request.transport === 'job') return err;
    const plugin = request.kind === 'operation' ? request.plugin : '';
    try {
      await this.refusedRate.take({ caller: request.caller, clientIp: request.clientIp, plugin });
      return err;
    } catch (limited) {
      return limited;
    }
  }

  /** Runs one call; `signal` fires when the caller goes away. */
  async run(request: CallRequest, sink: CallSink = {}, signal?: AbortSignal): Promise<CallResult> {
    const startedAt = performance.now();
    let ticket;
    try {
      ticket = this.lifecycle.enter(signal);
    } catch (err) {
      auditRefusal(this.audit, request, err, startedAt);
      throw err;
    }
    try {
      let planned;
      try {
        planned = await this.planner.plan(request);
      } catch (err) {
        const refusal = await this.countRefused(request, err);
        auditRefusal(this.audit, request, refusal, startedAt);
        throw refusal;
      }
      const ctx = new CallContext(planned.call, planned.plugin, planned.operation, ticket.signal, sink, this.budget.reservationFor(planned.plugin.maxBudgetUsd), this.pricing, startedAt);
      return await this.pipeline(ctx);
    } finally {
      ticket.done();
    }
  }
}
