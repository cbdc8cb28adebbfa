import { ClaudeError, type ClaudeClient, type ClaudeEvent, type ClaudeRequest } from '@ccp/plugin-api';
import type { PlatformConfig } from '../config/schema';
import type { Metrics } from '../metrics/metrics';
import { recomputeCost } from '../metrics/pricing';

/** Records every query's outcome, duration, time to first token, tokens and cost. */
export class MeteredClaudeClient implements ClaudeClient {
  constructor(
    private readonly inner: ClaudeClient,
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
    metrics.inFlight.inc({ plugin });
    try {
      for await (const event of this.inner.run(request)) {
        if (firstOutput && (event.type === 'text' || event.type === 'tool' || event.type === 'result')) {
          firstOutput = false;
          metrics.timeToFirstToken.observe({ plugin }, seconds());
        }
        if (event.type === 'start') model = event.model;
        if (event.type === 'retry') metrics.apiRetries.inc({ plugin, status: String(event.status ?? 'none') });
        if (event.type === 'result') {
          outcome = 'success';
          const u = event.usage;
          metrics.tokens.inc({ plugin, type: 'input' }, u.inputTokens);
          metrics.tokens.inc({ plugin, type: 'output' }, u.outputTokens);
          metrics.tokens.inc({ plugin, type: 'cache_read' }, u.cacheReadInputTokens);
          metrics.tokens.inc({ plugin, type: 'cache_creation' }, u.cacheCreationInputTokens);
          metrics.costUsd.inc({ plugin }, event.costUsd);
          const recomputed = recomputeCost(model, u, this.pricing);
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
