import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { waitUntil } from './processes';

/** The built server entry point (`npm run build` makes it; `npm test` builds first). */
export const SERVER_ENTRY = join(__dirname, '../../../apps/server/dist/server.js');

/** `node apps/server/dist/server.js` as an operator runs it, on a free loopback port. */
export interface ServerProcess {
  readonly child: ChildProcess;
  /** Base URL once it listens (empty if it exited first). */
  readonly url: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** What it wrote to stderr alone so far. */
  errors(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Without a database named in `env` (DATABASE_URL, CCP_DATA_DIR or CCP_DATABASE_ENABLED), a
 * server started for a test keeps no database: the shipped config's embedded one lives in
 * `data/` of the working directory, which every test's server would share.
 */
function databaseEnv(env: Record<string, string>): Record<string, string> {
  return env.DATABASE_URL || env.CCP_DATA_DIR || env.CCP_DATABASE_ENABLED ? {} : { CCP_DATABASE_ENABLED: 'false' };
}

/**
 * Starts the server with exactly `env` (plus PATH, PORT=0/HOST=127.0.0.1 unless given, and
 * no database unless `env` names one) and waits until it logs that it listens, or exits.
 * Nothing else of this process's environment reaches it.
 */
export async function startServerProcess(env: Record<string, string>, timeoutMs = 15_000): Promise<ServerProcess> {
  let out = '';
  let err = '';
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...databaseEnv(env), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
    err += d.toString();
  });
  const listening = /listening on http:\/\/[^:]+:(\d+)/;
  await waitUntil(() => listening.test(out) || child.exitCode !== null, timeoutMs);
  const port = listening.exec(out)?.[1];
  return {
    child,
    url: port ? `http://127.0.0.1:${port}` : '',
    output: () => out,
    errors: () => err,
    stop: async () => {
      // A process killed by a signal has no exit code, only its signal.
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}
