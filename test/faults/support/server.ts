import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess, testKey, type ServerProcess, type Simulator } from '@ccp/testing';
import { stringify } from 'yaml';
import { auditLines, type AuditLine } from './audit';
import { descendants } from './tree';

/** The two callers every probe server admits: a user key and an admin key (for /v1/admin/budgets). */
export interface ProbeKeys {
  readonly user: { readonly name: string; readonly headers: Record<string, string> };
  readonly admin: { readonly name: string; readonly headers: Record<string, string> };
}

/** A real server process (apps/server/dist/server.js) started for one probe file. */
export interface FaultServer extends PreparedServer {
  readonly process: ServerProcess;
  readonly pid: number;
  readonly url: string;
  /** When the process exited (Date.now()), once it has. */
  exitedAt(): number | undefined;
  /** When it was sent SIGTERM (by {@link sigterm} or {@link terminate}), or exited, if either happened. */
  stoppingSince(): number | undefined;
  /** Sends SIGTERM (a drain starts) without waiting. */
  sigterm(): void;
  /** The audit lines it wrote to stdout so far (they go there whatever audit.file says). */
  audit(): AuditLine[];
  /** Lines it logged as an unhandled error (what answers a 500) so far. */
  unhandled(): string[];
  /** SIGTERM; resolves with the exit code, or `timeout` if it is still running after `ms` (it is then SIGKILLed). */
  terminate(ms?: number): Promise<number | null | 'timeout'>;
}

/** What a probe file changes in the server's config and environment. */
export interface FaultServerOptions {
  readonly simulator: Simulator;
  /** Laid over the probe defaults (auth on with the two keys, no response cache, no CLI retries). */
  readonly config?: Record<string, unknown>;
  /** Extra fields of the user key's entry (rateLimit, maxConcurrent, budget). */
  readonly userKey?: Record<string, unknown>;
  readonly redisUrl?: string;
}

const live: ServerProcess[] = [];
const dirs: string[] = [];

/**
 * For afterAll: SIGKILLs every server this file started that still runs (and the processes
 * it started: a killed server leaves its children behind), then removes every directory
 * the file's servers used.
 */
export async function killLeftoverServers(): Promise<void> {
  for (const server of live.splice(0)) {
    const { child } = server;
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = once(child, 'exit');
    for (const pid of descendants(child.pid as number)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    child.kill('SIGKILL');
    await exited;
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    const mergeable = (x: unknown) => x !== null && typeof x === 'object' && !Array.isArray(x);
    out[k] = mergeable(v) && mergeable(b) ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** A server's config file, environment and callers, written but not started. */
export interface PreparedServer {
  readonly dir: string;
  /** Where it appends its audit lines besides stdout (`audit.file`), unless the probe set its own. */
  readonly auditFile?: string;
  readonly workspaceRoot: string;
  readonly env: Record<string, string>;
  readonly keys: ProbeKeys;
}

/**
 * Writes the config as YAML (laid over the shipped defaults, as an operator's file is) in a
 * fresh directory, with the environment that points the server at the simulator. Nothing
 * of this process's environment reaches the server but PATH.
 */
export function prepareServer(options: FaultServerOptions): PreparedServer {
  const dir = mkdtempSync(join(tmpdir(), 'ccp-fault-'));
  dirs.push(dir);
  const workspaceRoot = join(dir, 'workspaces');
  const ownAudit = (options.config?.audit as { file?: string } | undefined)?.file === undefined;
  const auditFile = ownAudit ? join(dir, 'audit.log') : undefined;
  const user = testKey('fault-user', options.userKey ?? {});
  const admin = testKey('fault-admin', { roles: ['user', 'admin'] });
  const config = deepMerge(
    {
      auth: { keys: [user.entry, admin.entry] },
      claude: { workspaceRoot, maxRetries: 0 },
      cache: { enabled: false },
      pool: { enabled: false },
      limits: { maxConcurrentPerKey: 16 },
      ...(auditFile ? { audit: { file: auditFile } } : {}),
    },
    options.config ?? {},
  );
  writeFileSync(join(dir, 'config.yaml'), stringify(config));
  return {
    dir,
    ...(auditFile ? { auditFile } : {}),
    workspaceRoot,
    keys: { user: { name: 'fault-user', headers: user.headers }, admin: { name: 'fault-admin', headers: admin.headers } },
    env: {
      HOME: dir,
      CCP_CONFIG: join(dir, 'config.yaml'),
      ANTHROPIC_API_KEY: 'sk-ant-fault-probe',
      ANTHROPIC_BASE_URL: options.simulator.url,
      ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    },
  };
}

/** Starts a server process on a loopback port and waits until it listens (throws with its output if it exits first). */
export async function bootServer(options: FaultServerOptions): Promise<FaultServer> {
  const prepared = prepareServer(options);
  const server = await startServerProcess(prepared.env);
  live.push(server);
  if (!server.url) throw new Error(`the server did not start:\n${server.output().slice(-2000)}`);
  let exitedAt: number | undefined;
  let sigtermAt: number | undefined;
  server.child.once('exit', () => (exitedAt = Date.now()));
  const sigterm = () => {
    sigtermAt ??= Date.now();
    server.child.kill('SIGTERM');
  };
  return {
    ...prepared,
    process: server,
    pid: server.child.pid as number,
    url: server.url,
    exitedAt: () => exitedAt,
    stoppingSince: () => sigtermAt ?? exitedAt,
    sigterm,
    audit: () => auditLines(server.output()),
    unhandled: () => server.output().split('\n').filter((l) => l.includes('"msg":"unhandled error"')),
    terminate: async (ms = 10_000) => {
      const { child } = server;
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit').then(([code]) => code as number | null);
      sigterm();
      const outcome = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())]);
      if (outcome === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
      return outcome;
    },
  };
}
