import type { PlatformConfig } from '../config/schema';
import type { ClaudeEvent } from '../engine/types';
import { roundUsd } from '../calls/spend';
import { recomputeCost } from '../metrics/pricing';
import { NO_PROGRESS, type JobProgress } from './job';

/**
 * Follows a job's engine events (the same the spend meter reads) and tells what it has
 * done so far: `tool` events count tool calls, `usage` events carry the tokens so far
 * (each API response reports its input tokens when it starts, so a new input count is a
 * new turn), priced with `pricing.models`; the `result` gives the reported figures.
 */
export class ProgressTracker {
  private progress: JobProgress = NO_PROGRESS;
  private model: string | undefined;
  private lastInputTokens = 0;

  constructor(private readonly pricing: PlatformConfig['pricing']) {}

  /** Reads one event; returns the new progress when it changed. */
  see(event: ClaudeEvent): JobProgress | undefined {
    const p = this.progress;
    if (event.type === 'start') {
      this.model = event.model;
      return undefined;
    }
    if (event.type === 'tool') {
      this.progress = { ...p, toolCalls: p.toolCalls + 1, tools: p.tools.includes(event.name) ? p.tools : [...p.tools, event.name] };
    } else if (event.type === 'usage') {
      const newTurn = event.usage.inputTokens !== this.lastInputTokens;
      this.lastInputTokens = event.usage.inputTokens;
      const cost = recomputeCost(event.model ?? this.model, event.usage, this.pricing);
      this.progress = { ...p, turns: p.turns + (newTurn ? 1 : 0), usage: event.usage, costUsd: cost === undefined ? p.costUsd : roundUsd(cost) };
    } else if (event.type === 'result') {
      this.progress = { ...p, turns: event.numTurns, usage: event.usage, costUsd: roundUsd(event.costUsd) };
    } else {
      return undefined;
    }
    return this.progress;
  }

  get current(): JobProgress {
    return this.progress;
  }
}
