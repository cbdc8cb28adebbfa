import { BoundedSemaphore, QueueFullError } from './bounded-semaphore';

describe('BoundedSemaphore', () => {
  it('admits up to the limit, queues up to the queue size in order, refuses the rest at once', async () => {
    const sem = new BoundedSemaphore(2, 2);
    const a = await sem.acquire();
    const b = await sem.acquire();
    const order: string[] = [];
    const c = sem.acquire().then((r) => (order.push('c'), r));
    const d = sem.acquire().then((r) => (order.push('d'), r));
    await expect(sem.acquire()).rejects.toBeInstanceOf(QueueFullError);
    expect({ running: sem.running, queued: sem.queued }).toEqual({ running: 2, queued: 2 });
    a();
    a(); // a second release of the same slot changes nothing
    (await c)();
    b();
    (await d)();
    expect(order).toEqual(['c', 'd']);
    expect({ running: sem.running, queued: sem.queued }).toEqual({ running: 0, queued: 0 });
  });

  it('drops a waiter whose caller went away', async () => {
    const sem = new BoundedSemaphore(1, 1);
    const held = await sem.acquire();
    const gone = new AbortController();
    const waiting = sem.acquire(gone.signal);
    gone.abort(new Error('caller left'));
    await expect(waiting).rejects.toThrow('caller left');
    expect(sem.queued).toBe(0);
    held();
    expect(sem.running).toBe(0);
  });
});
