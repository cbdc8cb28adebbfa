import type { AdmissionLimit } from '../../limits/admission';
import type { ClaudeEvent, ClaudeRequest, Engine } from '../types';

/**
 * Admission control in front of the circuit breaker: a call runs only once the instance's
 * {@link AdmissionLimit} admits it. A refusal (`at_capacity`) never reaches the breaker,
 * so a burst of our own making cannot open it.
 */
export class AdmissionEngine implements Engine {
  constructor(
    private readonly inner: Engine,
    readonly limit: AdmissionLimit,
  ) {}

  async *run(request: ClaudeRequest): AsyncGenerator<ClaudeEvent> {
    const hold = await this.limit.take({ caller: { name: request.caller ?? 'anonymous', roles: [], plugins: [] }, plugin: request.pluginId }, request.signal);
    try {
      yield* this.inner.run(request);
    } finally {
      await hold.release(0);
    }
  }
}
