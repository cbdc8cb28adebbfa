import { parseConfig } from '../../config/load-config';
import { progressReporter, type ProgressNotification } from './progress';

const pricing = parseConfig({}).pricing;
const usage = (inputTokens: number) => ({ type: 'usage' as const, usage: { inputTokens, outputTokens: 1, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 } });

describe('MCP progress notifications', () => {
  it('moves on by one per model turn and per tool call, with what happened, never backwards', async () => {
    const sent: ProgressNotification[] = [];
    const see = progressReporter('tok', async (n) => void sent.push(n), pricing);
    see({ type: 'start', sessionId: 's', model: 'claude-sonnet-4-5', tools: [] });
    see(usage(100));
    see(usage(100)); // the same response's closing delta: not a new turn
    see({ type: 'text', text: 'hello' });
    see({ type: 'tool', name: 'Read', summary: 'Read src/a.ts' });
    see(usage(180));
    expect(sent.map((n) => [n.params.progress, n.params.message])).toEqual([
      [1, 'turn 1'],
      [2, 'tool Read src/a.ts'],
      [3, 'turn 2'],
    ]);
    expect(sent.every((n) => n.method === 'notifications/progress' && n.params.progressToken === 'tok')).toBe(true);
  });

  it('sends nothing without a progress token, and survives a stream that is gone', async () => {
    const none = jest.fn(async () => undefined);
    progressReporter(undefined, none, pricing)({ type: 'tool', name: 'Read', summary: 'Read a' });
    expect(none).not.toHaveBeenCalled();
    const failing = progressReporter(1, async () => Promise.reject(new Error('closed')), pricing);
    expect(() => failing({ type: 'tool', name: 'Read', summary: 'Read a' })).not.toThrow();
  });
});
