import type { PlatformConfig } from '../../config/schema';
import type { ClaudeEvent } from '../../engine/types';
import { ProgressTracker } from '../../jobs/job-progress';

/** An MCP `notifications/progress` message. */
export interface ProgressNotification {
  readonly method: 'notifications/progress';
  readonly params: { readonly progressToken: string | number; readonly progress: number; readonly message: string };
}

/**
 * Turns a call's engine events into MCP progress notifications for the client's progress
 * token (none without one): each new model turn and each tool call moves `progress` on by
 * one, with a message saying what happened (`turn 2`, `tool Read src/a.ts`: a path or a
 * pattern, never file contents). There is no `total`: how many turns a call takes is not
 * known in advance. A notification that cannot be sent (the stream went away) is dropped.
 */
export function progressReporter(token: string | number | undefined, send: (n: ProgressNotification) => Promise<void>, pricing: PlatformConfig['pricing']): (event: ClaudeEvent) => void {
  if (token === undefined) return () => undefined;
  const tracker = new ProgressTracker(pricing);
  let last = 0;
  return (event) => {
    const seen = tracker.see(event);
    if (!seen) return;
    const progress = seen.turns + seen.toolCalls;
    if (progress <= last) return;
    last = progress;
    const message = event.type === 'tool' ? `tool ${event.summary}` : `turn ${seen.turns}`;
    send({ method: 'notifications/progress', params: { progressToken: token, progress, message } }).catch(() => undefined);
  };
}
