import { parseConfig } from '@ccp/runtime';
import type { RecordedRequest, SimBlock } from '@ccp/testing';
import { recomputeCost } from '../../../core/runtime/src/metrics/pricing';
import { estimateTokens } from '../../../core/testing/src/simulator/answer';

// What the upstream billed for a call cut short, from the simulator's own record: the figure
// the platform must settle at (priced with the default pricing.models, as the server is).

const pricing = parseConfig({}).pricing;

/** The output tokens the simulator reports for an answer (its message_delta): the text and tool inputs it streamed. */
function outputTokens(reply: readonly SimBlock[]): number {
  return estimateTokens(reply.map((b) => (b.type === 'text' ? b.text : JSON.stringify(b.input))).join(''));
}

/**
 * The spend a call's requests show: each answered request its input and output tokens; the
 * request in flight, when its answer had started streaming (`started`), its input tokens
 * and the 1 output token of message_start; one whose answer had not begun, nothing.
 */
export function billed(requests: readonly RecordedRequest[], inFlight: 'started' | 'not started'): { costUsd: number; inputTokens: number; outputTokens: number; basis: string } {
  let input = 0;
  let output = 0;
  let model: string | undefined;
  for (const r of requests) {
    model = r.model ?? model;
    if (r.completedAt !== undefined && r.reply) {
      input += r.inputTokens ?? 0;
      output += outputTokens(r.reply);
    } else if (inFlight === 'started') {
      input += r.inputTokens ?? 0;
      output += 1;
    }
  }
  if (input === 0 && output === 0) return { costUsd: 0, inputTokens: 0, outputTokens: 0, basis: 'none' };
  const cost = recomputeCost(model, { inputTokens: input, outputTokens: output, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 }, pricing);
  if (cost === undefined) throw new Error(`model ${model} is not in the default price table`);
  return { costUsd: Math.round(cost * 1e6) / 1e6, inputTokens: input, outputTokens: output, basis: 'observed' };
}
