import { PlatformError } from '@ccp/plugin-api';
import { codeReviewPlugin } from '@ccp/plugin-code-review';
import { ANONYMOUS, type Caller } from '../../auth/caller';
import { parseConfig } from '../../config/load-config';
import { PluginRateLimit, RequestRateLimit } from '../../limits/rate-limits';
import { buildRegistry } from '../../plugins/build-registry';
import type { Call, CallResult } from '../call';
import { CallContext } from '../context';
import type { Stage } from '../pipeline';
import { rateLimitStage } from './rate-limit';

const registered = buildRegistry(parseConfig({}), [codeReviewPlugin], process.cwd()).get('code-review');
const answer: CallResult = { result: 'ok', usage: { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: 0 }, durationMs: 0, sessionId: 's' };
const key = (name: string): Caller => ({ name, roles: ['user'], plugins: ['*'] });

function contextFor(over: Partial<Call>): CallContext {
  if (!registered) throw new Error('code-review is not registered');
  const call: Call = { requestId: 'r', plugin: 'code-review', operation: 'review', input: {}, caller: key('alice'), transport: 'http', streaming: false, deadline: 0, ...over };
  return new CallContext(call, registered, undefined, new AbortController().signal, {}, 0, { models: {} });
}

function stageWith(rateLimits: Record<string, unknown>): Stage {
  const config = parseConfig({ rateLimits: { windowMs: 60_000, ...rateLimits } }).rateLimits;
  return rateLimitStage([new RequestRateLimit(config, undefined), new PluginRateLimit(config, undefined)]);
}

/** Runs one call through the stage; the status it ends with (200, or the refusal's). */
async function status(stage: Stage, over: Partial<Call>, next: () => Promise<CallResult> = async () => answer): Promise<number | string> {
  try {
    await stage(contextFor(over), next);
    return 200;
  } catch (err) {
    const e = err as { status?: number; code?: string };
    return e.status ? `${e.status} ${e.code}` : 'failed';
  }
}

describe('rate-limit stage', () => {
  it('limits calls per key, each key in its own bucket, with a Retry-After within the window', async () => {
    const stage = stageWith({ perKey: 2 });
    const alice = { caller: key('alice') };
    expect([await status(stage, alice), await status(stage, alice), await status(stage, alice)]).toEqual([200, 200, '429 rate_limited']);
    expect(await status(stage, { caller: key('bob') })).toBe(200);
    const refused = await stage(contextFor(alice), async () => answer).then(() => undefined, (err: unknown) => err);
    if (!(refused instanceof PlatformError)) throw new Error('expected a refusal');
    expect(refused.detail).toContain('API key alice');
    expect(refused.extras.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.extras.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it('buckets calls by client address while authentication is off', async () => {
    const stage = stageWith({ perKey: 1 });
    expect(await status(stage, { caller: ANONYMOUS, clientIp: '10.0.0.1' })).toBe(200);
    expect(await status(stage, { caller: ANONYMOUS, clientIp: '10.0.0.1' })).toBe('429 rate_limited');
    expect(await status(stage, { caller: ANONYMOUS, clientIp: '10.0.0.2' })).toBe(200);
  });

  it("limits a key's calls of one plugin without touching its calls of the others", async () => {
    const stage = stageWith({ perKey: 100, plugins: { 'code-review': { limit: 1 } } });
    expect(await status(stage, {})).toBe(200);
    expect(await status(stage, {})).toBe('429 rate_limited');
    expect(await status(stage, { plugin: 'doc-generator' })).toBe(200);
    expect(await status(stage, { caller: key('bob') })).toBe(200);
  });

  it('counts every call it lets through, however a later stage answers or fails, and runs nothing it refuses', async () => {
    const stage = stageWith({ perKey: 2 });
    const next = jest.fn(async (): Promise<CallResult> => {
      throw new Error('the engine failed');
    });
    expect(await status(stage, {}, async () => answer)).toBe(200); // e.g. a cache hit
    expect(await status(stage, {}, next)).toBe('failed');
    expect(await status(stage, {}, next)).toBe('429 rate_limited');
    expect(next).toHaveBeenCalledTimes(1);
  });
});
