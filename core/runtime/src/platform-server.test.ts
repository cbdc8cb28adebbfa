import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { parseConfig } from './config/load-config';
import { createPlatformServer } from './composition-root';

describe('platform HTTP server', () => {
  it('cuts a client that sends its headers too slowly soon after the headers timeout, not up to 30 s later', async () => {
    const config = parseConfig({ server: { requestTimeoutMs: 1_000 } });
    const server = createPlatformServer(config, (_req, res) => res.end('ok'), (_req, socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const started = Date.now();
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\n'); // and never the blank line
      const drip = setInterval(() => socket.write('X-Slow: 1\r\n'), 200);
      await new Promise((resolve) => socket.once('close', resolve));
      clearInterval(drip);
      // headersTimeout (1 s) plus at most one checking interval (1 s), with slack for a busy machine
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
