import { parseConfig } from '../config/load-config';
import { recomputeCost } from './pricing';

const usage = { inputTokens: 1_000_000, outputTokens: 100_000, cacheReadInputTokens: 200_000, cacheCreationInputTokens: 0 };

describe('recomputeCost', () => {
  const { pricing } = parseConfig({});

  it('prices by the first table key the model name contains', () => {
    expect(recomputeCost('claude-sonnet-5', usage, pricing)).toBeCloseTo(3 + 1.5 + 0.06);
    expect(recomputeCost('claude-opus-5-5', usage, pricing)).toBeCloseTo(5 + 2.5 + 0.1);
  });

  it('leaves a model it does not know unpriced, and takes the operator table', () => {
    expect(recomputeCost('mystery-model', usage, pricing)).toBeUndefined();
    const custom = parseConfig({ pricing: { models: { mystery: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 } } } }).pricing;
    expect(recomputeCost('mystery-model', usage, custom)).toBeCloseTo(1.1);
  });
});
