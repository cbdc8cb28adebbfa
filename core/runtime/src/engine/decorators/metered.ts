import { ClaudeError, type Engine, type ClaudeEvent, type ClaudeRequest } from '../types';
import type { PlatformConfig } from '../../config/schema';
import type { Metrics } from '../../metrics/metrics';
import { recomputeCost } from '../../metrics/pricing';

/** The `tool` label of a call of a tool the query did not offer (the name is the model's: not a label value). */
export const NOT_OFFERED_TOOL = '(not offered)';

/** Records every query's outcome, duration, time to first token, retries and denied tools. */
export class MeteredEngine implements Engine {
  constructor(
    private readonly inner: Engine,
    private readonly metrics: Metrics,
    private readonly pricing: PlatformConfig['pricing'] = { models: {} },
  ) {}

  async *run(request: ClaudeRequest): AsyncGenerator<ClaudeEvent> {
    const plugin = request.pluginId;
    const { metrics } = this;
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    let firstOutput = true;
    let outcome = 'aborted';
    let model = request.model ?? 'default';
    let offered: ReadonlySet<string> | undefined;
    metrics.inFlight.inc({ plugin });
    try {
      for await (const event of this.inner.run(request)) {
        if (firstOutput && (event.type === 'text' || event.type === 'tool' || event.type === 'result')) {
          firstOutput = false;
          metrics.timeToFirstToken.observe({ plugin }, seconds());
        }
        if (event.type === 'start') {
          model = event.model;
          offered = new Set(event.tools);
        }
        // A call of a tool the query never offered (one the plugin did not declare): the CLI refuses it.
        if (event.type === 'tool' && offered && !offered.has(event.name)) metrics.deniedToolCalls.inc({ plugin, tool: NOT_OFFERED_TOOL });
        if (event.type === 'retry') metrics.apiRetries.inc({ plugin, status: String(event.status ?? 'none') });
        if (event.type === 'result') {
          outcome = 'success';
          // Tokens and cost are counted where the call is settled (calls/spend.ts), so a call
          // that ends without a result is counted at what it spent, as audit and budget see it.
          const recomputed = recomputeCost(model, event.usage, this.pricing);
          if (recomputed === undefined) metrics.unpricedQueries.inc({ plugin, model });
          else metrics.costRecomputedUsd.inc({ plugin, model }, recomputed);
          for (const tool of event.deniedTools) metrics.deniedToolCalls.inc({ plugin, tool });
        }
        yield event;
      }
    } catch (err) {
      outcome = err instanceof ClaudeError ? err.kind : 'internal_error';
      throw err;
    } finally {
      metrics.inFlight.dec({ plugin });
      metrics.queries.inc({ plugin, outcome });
      metrics.queryDuration.observe({ plugin, outcome }, seconds());
    }
  }
}
