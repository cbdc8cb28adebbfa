import { HourWindow, windowCounts } from './hour-window';
import { Metrics } from './metrics';

const MIN = 60_000;

describe('the status window of about the last hour', () => {
  let now = 0;
  const metrics = new Metrics({ defaultMetrics: false });
  const window = new HourWindow(() => windowCounts(metrics), () => now);
  /** Snapshots each minute from the last one taken up to `to` (the timer's work). */
  let sampled = -1;
  const minutesPass = async (to: number) => {
    for (let m = sampled + 1; m <= to; m++) {
      now = m * MIN;
      await window.sample();
    }
    sampled = to;
  };
  const read = async () => {
    const c = await window.counts();
    return { since: c.since / MIN, plugins: Object.fromEntries(c.plugins), ttft: c.timeToFirstToken.get(Infinity), underOne: c.timeToFirstToken.get(1) };
  };

  it('covers calls and time-to-first-token samples since the start in the first hour, then the last 60 to 61 minutes', async () => {
    await minutesPass(10);
    now = 10.5 * MIN;
    metrics.queries.inc({ plugin: 'code-review', outcome: 'success' }, 3);
    metrics.timeToFirstToken.observe({ plugin: 'code-review' }, 0.5);
    metrics.timeToFirstToken.observe({ plugin: 'code-review' }, 0.7);
    expect(await read()).toEqual({ since: 0, plugins: { 'code-review': { requests: 3, errors: 0 } }, ttft: 2, underOne: 2 });

    await minutesPass(30);
    now = 30.5 * MIN;
    metrics.queries.inc({ plugin: 'code-review', outcome: 'success' });
    metrics.queries.inc({ plugin: 'code-review', outcome: 'timeout' });
    metrics.timeToFirstToken.observe({ plugin: 'code-review' }, 4);
    expect(await read()).toEqual({ since: 0, plugins: { 'code-review': { requests: 5, errors: 1 } }, ttft: 3, underOne: 2 });

    // Seventy minutes in, the window starts at the snapshot of minute 10, and still does half a
    // minute later: it is 60 to 61 minutes long (the calls of minute 10.5 are in it).
    await minutesPass(70);
    expect(await read()).toEqual({ since: 10, plugins: { 'code-review': { requests: 5, errors: 1 } }, ttft: 3, underOne: 2 });
    now = 70.9 * MIN;
    expect((await read()).since).toBe(10);
    // From minute 11 on, counts and histogram alike leave out what came at minute 10.5.
    await minutesPass(71);
    expect(await read()).toEqual({ since: 11, plugins: { 'code-review': { requests: 2, errors: 1 } }, ttft: 1, underOne: 0 });
    await minutesPass(100);
    expect(await read()).toEqual({ since: 40, plugins: { 'code-review': { requests: 0, errors: 0 } }, ttft: 0, underOne: 0 });
  });
});
