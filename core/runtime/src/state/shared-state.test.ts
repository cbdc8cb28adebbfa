import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createSharedState } from './shared-state';

/** A TCP server that accepts connections and never answers: a Redis that is stopped (SIGSTOP) or swapping. */
async function silentServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('shared state on Redis that is away', () => {
  it('fails a command at once while disconnected, instead of queueing it until a reconnect', async () => {
    const state = createSharedState(`redis://127.0.0.1:${await closedPort()}`, 60_000);
    try {
      expect(await state.ready(300)).toBe(false);
      const started = Date.now();
      await expect(state.sessions.get('s1')).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(100);
      expect(state.healthy()).toBe(false);
    } finally {
      await state.close();
    }
  });

  it('fails a command that gets no answer after the command timeout', async () => {
    const silent = await silentServer();
    const state = createSharedState(silent.url, 60_000);
    try {
      // The connection is made, but the server never answers: ioredis's ready check never ends.
      expect(await state.ready(300)).toBe(false);
      const started = Date.now();
      await expect(state.redis?.call('PING')).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      await state.close();
      await silent.close();
    }
  });

  it('is ready at once in memory', async () => {
    const state = createSharedState(undefined, 60_000);
    expect(await state.ready(0)).toBe(true);
    await state.close();
  });
});
