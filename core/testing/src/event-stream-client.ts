import { createParser } from 'eventsource-parser';

/** One Server-Sent Event as a client received it. */
export interface ReceivedEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
  /** Date.now() when it arrived. */
  readonly at: number;
}

/**
 * Reads a `text/event-stream` response to its end, calling `onEvent` as each event
 * arrives (return `false` to stop reading and close the connection).
 */
export async function readEventStream(res: Response, onEvent?: (e: ReceivedEvent) => boolean | void): Promise<ReceivedEvent[]> {
  const events: ReceivedEvent[] = [];
  let stop = false;
  const parser = createParser({
    onEvent: (e) => {
      if (stop) return;
      const received = { event: e.event ?? 'message', data: JSON.parse(e.data) as Record<string, unknown>, at: Date.now() };
      events.push(received);
      if (onEvent?.(received) === false) stop = true;
    },
  });
  if (!res.body) return events;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  try {
    while (!stop) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } finally {
    if (stop) await reader.cancel().catch(() => undefined);
  }
  return events;
}
