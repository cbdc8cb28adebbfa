import { InProcessQueue, jobConcurrency } from './in-process-queue';

const tick = () => new Promise((r) => setImmediate(r));

describe('InProcessQueue', () => {
  it('runs at most `concurrency` jobs and at most maxRunning of one owner, in order', async () => {
    let accepting = true;
    const queue = new InProcessQueue({ concurrency: 2, accepting: () => accepting });
    const started: string[] = [];
    const finish = new Map<string, () => void>();
    queue.start((id) => new Promise<void>((resolve) => { started.push(id); finish.set(id, resolve); }));
    await queue.enqueue({ id: 'a1', owner: 'a', maxRunning: 1 });
    await queue.enqueue({ id: 'a2', owner: 'a', maxRunning: 1 });
    await queue.enqueue({ id: 'b1', owner: 'b', maxRunning: 1 });
    await queue.enqueue({ id: 'b2', owner: 'b', maxRunning: 1 });
    expect(started).toEqual(['a1', 'b1']); // a2 waits for a's slot; b1 is not held up by it
    finish.get('a1')?.();
    await tick();
    expect(started).toEqual(['a1', 'b1', 'a2']);
    accepting = false; // draining: no new job starts
    finish.get('b1')?.();
    await tick();
    expect(started).toEqual(['a1', 'b1', 'a2']);
    expect(queue.size).toEqual({ waiting: 1, running: 1, oldestWaitingSince: expect.any(Number) });
    await queue.close();
    expect(queue.size.waiting).toBe(0);
  });

  it('drops a waiting job on cancel and aborts a running one', async () => {
    const queue = new InProcessQueue({ concurrency: 1, accepting: () => true });
    const signals = new Map<string, AbortSignal>();
    queue.start((id, signal) => new Promise<void>((resolve) => { signals.set(id, signal); signal.addEventListener('abort', () => resolve()); }));
    await queue.enqueue({ id: 'x', owner: 'o', maxRunning: 5 });
    await queue.enqueue({ id: 'y', owner: 'o', maxRunning: 5 });
    expect(await queue.cancel('y', new Error('stop'))).toBe('dropped');
    expect(await queue.cancel('x', new Error('stop'))).toBe('signalled');
    expect(signals.get('x')?.aborted).toBe(true);
    await tick();
    expect(signals.has('y')).toBe(false);
    expect(await queue.cancel('nope', undefined)).toBeUndefined();
  });

  it('keeps half the in-flight capacity for synchronous calls', () => {
    expect(jobConcurrency(16, 40)).toBe(16);
    expect(jobConcurrency(16, 8)).toBe(4);
    expect(jobConcurrency(16, 1)).toBe(1);
  });
});
