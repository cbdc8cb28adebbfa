import { LogCapture } from '@ccp/testing';
import pino from 'pino';
import { Lifecycle } from './lifecycle';

describe('Lifecycle', () => {
  it('admits calls until draining, then refuses them as shutting_down', () => {
    const lifecycle = new Lifecycle();
    const ticket = lifecycle.enter();
    expect(lifecycle.running).toBe(1);
    lifecycle.startDraining();
    expect(() => lifecycle.enter()).toThrow(expect.objectContaining({ code: 'shutting_down', status: 503 }));
    ticket.done();
    ticket.done();
    expect(lifecycle.running).toBe(0);
  });

  it("a ticket's signal follows the caller's signal until done(), and then lets go of it", () => {
    const lifecycle = new Lifecycle();
    const caller = new AbortController();
    const ticket = lifecycle.enter(caller.signal);
    expect(ticket.signal.aborted).toBe(false);
    caller.abort(new Error('client went away'));
    expect(ticket.signal.aborted).toBe(true);
    expect((ticket.signal.reason as Error).message).toBe('client went away');
    ticket.done();

    const gone = new AbortController();
    gone.abort('already');
    expect(lifecycle.enter(gone.signal).signal.reason).toBe('already');

    const later = new AbortController();
    const finished = lifecycle.enter(later.signal);
    finished.done();
    later.abort();
    expect(finished.signal.aborted).toBe(false);
  });

  it('drain waits for calls that finish within the grace time and aborts none of them', async () => {
    const lifecycle = new Lifecycle();
    const ticket = lifecycle.enter();
    let drained = false;
    const drain = lifecycle.drain(10_000).then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false);
    ticket.done();
    await drain;
    expect(ticket.signal.aborted).toBe(false);
  });

  it('drain ends calls still running after the grace time with shutting_down, then waits for them', async () => {
    const lifecycle = new Lifecycle();
    const order: string[] = [];
    const call = lifecycle.track(
      (ticket) =>
        new Promise<void>((resolve) =>
          ticket.signal.addEventListener('abort', () => {
            order.push(`aborted: ${(ticket.signal.reason as { kind: string }).kind}`);
            setImmediate(() => {
              order.push('call ended');
              resolve();
            });
          }),
        ),
    );
    await lifecycle.drain(5);
    order.push('drained');
    await call;
    expect(order).toEqual(['aborted: shutting_down', 'call ended', 'drained']);
  });

  it('runs shutdown hooks once, newest first, and goes on after one fails', async () => {
    const lifecycle = new Lifecycle();
    const ran: string[] = [];
    lifecycle.addShutdownHook('first', () => void ran.push('first'));
    lifecycle.addShutdownHook('broken', () => {
      throw new Error('boom');
    });
    lifecycle.addShutdownHook('last', async () => void ran.push('last'));
    await Promise.all([lifecycle.shutdown(), lifecycle.shutdown()]);
    expect(ran).toEqual(['last', 'first']);
    expect(lifecycle.draining).toBe(true);
  });

  it('goes on past a shutdown hook that does not finish in time, and logs it', async () => {
    const log = new LogCapture();
    const lifecycle = new Lifecycle(pino({ level: 'info' }, log), 50);
    const ran: string[] = [];
    lifecycle.addShutdownHook('first', () => void ran.push('first'));
    lifecycle.addShutdownHook('hangs', () => new Promise<void>(() => undefined));
    lifecycle.addShutdownHook('slow but allowed', () => new Promise<void>((resolve) => setTimeout(() => resolve(void ran.push('slow')), 100)), { timeoutMs: 1_000 });
    await lifecycle.shutdown();
    expect(ran).toEqual(['slow', 'first']);
    expect(log.lines.filter((l) => l.hook === 'hangs').map((l) => [l.msg, l.timeoutMs])).toEqual([['shutdown hook did not finish in time; going on without it', 50]]);
  });
});

describe('Lifecycle drain listeners', () => {
  it('tells each listener once when the drain starts, and a late one at once', () => {
    const lifecycle = new Lifecycle();
    const heard: string[] = [];
    lifecycle.onDraining(() => heard.push('early'));
    expect(heard).toEqual([]);
    lifecycle.startDraining();
    lifecycle.startDraining();
    expect(heard).toEqual(['early']);
    lifecycle.onDraining(() => heard.push('late'));
    expect(heard).toEqual(['early', 'late']);
  });
});
