import { ANONYMOUS } from '../auth/caller';
import { parseConfig } from '../config/load-config';
import { ClaudeError, shuttingDownError } from '../engine/types';
import { Metrics } from '../metrics/metrics';
import { AdmissionLimit } from './admission';
import type { Hold } from './limit';

const subject = (plugin = 'p') => ({ caller: ANONYMOUS, plugin });

function limit(admission: Record<string, unknown>) {
  const metrics = new Metrics({ defaultMetrics: false });
  const settings = parseConfig({ admission }).admission;
  return { metrics, limit: new AdmissionLimit(settings, settings.maxConcurrent ?? 4, metrics) };
}

/** Whether a take has been admitted yet (after the promises now due have run). */
async function admitted(take: Promise<Hold>): Promise<boolean> {
  let done = false;
  void take.then(() => (done = true), () => undefined);
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('AdmissionLimit', () => {
  it('runs up to maxConcurrent at once and queues the next, first come first served', async () => {
    const { limit: l, metrics } = limit({ maxConcurrent: 1, queueSize: 2 });
    const first = await l.take(subject());
    const second = l.take(subject());
    const third = l.take(subject());
    expect([await admitted(second), await admitted(third)]).toEqual([false, false]);
    expect([l.global.running, l.global.queued]).toEqual([1, 2]);
    expect((await metrics.admissionQueued.get()).values[0]?.value).toBe(2);
    await first.release(0);
    expect([await admitted(second), await admitted(third)]).toEqual([true, false]);
  });

  it('refuses at once with at_capacity and the configured Retry-After when the queue is full', async () => {
    const { limit: l, metrics } = limit({ maxConcurrent: 1, queueSize: 1, retryAfterSeconds: 7 });
    await l.take(subject());
    void l.take(subject());
    await expect(l.take(subject())).rejects.toEqual(new ClaudeError('at_capacity', 'at capacity: 1 running and 1 queued', undefined, 7));
    await expect(l.take(subject())).rejects.toMatchObject({ retryAfterSeconds: 7 });
    expect((await metrics.admissionRejected.get()).values).toEqual([expect.objectContaining({ labels: { plugin: 'p' }, value: 2 })]);
  });

  it('lets a caller that goes away leave the queue, with the reason given on the signal', async () => {
    const { limit: l } = limit({ maxConcurrent: 1, queueSize: 1 });
    const first = await l.take(subject());
    const drained = new AbortController();
    const queued = l.take(subject(), drained.signal);
    drained.abort(shuttingDownError());
    await expect(queued).rejects.toMatchObject({ name: 'ClaudeError', kind: 'shutting_down' });
    expect(l.global.queued).toBe(0);

    const gone = new AbortController();
    const plain = l.take(subject(), gone.signal);
    gone.abort();
    await expect(plain).rejects.toMatchObject({ kind: 'aborted' });
    await first.release(0);
    expect(l.global.running).toBe(0); // nobody who left was admitted
  });

  it('caps a plugin within the global cap', async () => {
    const { limit: l } = limit({ maxConcurrent: 2, queueSize: 0, plugins: { slow: 1 } });
    const slow = await l.take(subject('slow'));
    await expect(l.take(subject('slow'))).rejects.toMatchObject({ kind: 'at_capacity' });
    await l.take(subject('other'));
    await slow.release(0);
    expect(l.global.running).toBe(1);
  });

  it("gives a plugin's slot back when the global cap refuses the call", async () => {
    const { limit: l } = limit({ maxConcurrent: 1, queueSize: 0, plugins: { slow: 1 } });
    const other = await l.take(subject('other'));
    await expect(l.take(subject('slow'))).rejects.toMatchObject({ kind: 'at_capacity' });
    await other.release(0);
    await expect(l.take(subject('slow'))).resolves.toBeDefined();
  });

});
