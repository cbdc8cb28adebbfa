import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './redis';

/** A real PostgreSQL cluster for one test file, in a temporary directory. */
export interface TestPostgres {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  readonly url: string;
  readonly port: number;
  /** Stops the server and keeps its data (an outage); {@link resume} starts it again on the same port. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** The directory of Debian's `postgresql` binaries (initdb, postgres): the newest under /usr/lib/postgresql, or PG_BIN. */
export function postgresBinDir(): string | undefined {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

// PostgreSQL refuses to run as root: as root (CI's containers), the cluster belongs to `nobody`.
const NOBODY = 65534;
const asUser = () => (process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {});

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Starts a PostgreSQL cluster (Debian's `postgresql` package; `.ci/run` installs it) on a
 * free loopback port with a fresh data directory (fsync off: a test database), and waits
 * until it answers. Throws with the install hint when the binaries are missing.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is required (apt-get install postgresql): no initdb under /usr/lib/postgresql/*/bin (or set PG_BIN)');
  const dir = mkdtempSync(join(tmpdir(), 'ccp-pg-'));
  const user = asUser();
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], { ...user, encoding: 'utf8', cwd: dir });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.error?.message}`);
  const port = await freePort();
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  const run = async (): Promise<ChildProcess> => {
    const child = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=50'], { ...user, cwd: dir, stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    while (!(await answers(url))) {
      if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode} before it answered`);
      if (Date.now() > deadline) throw new Error('postgres did not answer within 20 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    return child;
  };
  let child: ChildProcess | undefined = await run();
  const halt = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // fast shutdown
      await once(child, 'exit');
    }
    child = undefined;
  };
  return {
    url,
    port,
    pause: halt,
    resume: async () => {
      child ??= await run();
    },
    stop: async () => {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
