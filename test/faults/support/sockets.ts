import { connect, type Socket } from 'node:net';

/** A raw connection a probe holds open, and when (Date.now()) the server closed it, if it did. */
export interface HeldConnection {
  readonly socket: Socket;
  openedAt: number;
  closedAt?: number;
  /** What the server wrote before closing (a 408, or nothing). */
  received: string;
}

/** What each held connection sends: `first` once connected, then `then` every `everyMs` (nothing: an idle connection). */
export interface Trickle {
  readonly first?: string;
  readonly then?: string;
  readonly everyMs?: number;
}

/**
 * Opens `n` TCP connections to the server, each sending its trickle: idle connections, or
 * slowloris clients that never finish their headers or body. Resolves once all are connected.
 */
export async function holdConnections(base: string, n: number, trickle: Trickle = {}): Promise<HeldConnection[]> {
  const { hostname, port } = new URL(base);
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<HeldConnection>((resolve, reject) => {
          const socket = connect({ host: hostname, port: Number(port) });
          const held: HeldConnection = { socket, openedAt: Date.now(), received: '' };
          let timer: NodeJS.Timeout | undefined;
          socket.on('data', (d: Buffer) => (held.received += d.toString('latin1')));
          socket.on('close', () => {
            held.closedAt ??= Date.now();
            clearInterval(timer);
          });
          socket.on('error', reject); // before connecting: fails the probe; after: the close that follows is what counts
          socket.once('connect', () => {
            held.openedAt = Date.now();
            resolve(held);
            if (trickle.first) socket.write(trickle.first);
            if (!trickle.then) return;
            timer = setInterval(() => {
              if (!socket.destroyed) socket.write(trickle.then as string);
            }, trickle.everyMs ?? 500);
            timer.unref();
          });
        }),
    ),
  );
}

/** Ends every connection this side still holds. */
export function dropConnections(held: readonly HeldConnection[]): void {
  for (const h of held) h.socket.destroy();
}

/** How long after it opened the server closed each connection (`undefined`: still open). */
export function lifetimes(held: readonly HeldConnection[]): (number | undefined)[] {
  return held.map((h) => (h.closedAt === undefined ? undefined : h.closedAt - h.openedAt));
}
