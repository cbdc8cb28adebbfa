import { within } from './within';

describe('within', () => {
  it('says whether the work settled in time, a failure counting as settled, and never rejects', async () => {
    expect(await within(Promise.resolve('x'), 1_000)).toBe(true);
    expect(await within(Promise.reject(new Error('boom')), 1_000)).toBe(true);
    expect(await within(new Promise(() => undefined), 20)).toBe(false);
  });
});
