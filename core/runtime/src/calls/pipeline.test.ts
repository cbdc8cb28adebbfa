import { compose, type Stage } from './pipeline';
import type { CallResult } from './call';
import type { CallContext } from './context';

const answer: CallResult = { result: 'ok', usage: { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: 0 }, durationMs: 0, sessionId: 's' };
const ctx = {} as CallContext;

describe('compose', () => {
  it('runs stages in the order of the list, each around the ones after it', async () => {
    const seen: string[] = [];
    const around = (name: string): Stage => async (_c, next) => {
      seen.push(`${name} in`);
      const r = await next();
      seen.push(`${name} out`);
      return r;
    };
    const last: Stage = async () => {
      seen.push('engine');
      return answer;
    };
    expect(await compose([around('audit'), around('limits'), last])(ctx)).toBe(answer);
    expect(seen).toEqual(['audit in', 'limits in', 'engine', 'limits out', 'audit out']);
  });

  it('lets a stage answer without the rest, and fails when nothing answers', async () => {
    const engine = jest.fn(async () => answer);
    const cache: Stage = async () => ({ ...answer, result: 'cached' });
    expect((await compose([cache, engine])(ctx)).result).toBe('cached');
    expect(engine).not.toHaveBeenCalled();
    await expect(compose([async (_c, next) => next()])(ctx)).rejects.toThrow(/without an answer/);
  });
});
