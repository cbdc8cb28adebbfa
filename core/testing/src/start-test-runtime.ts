import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { type Engine } from '@ccp/runtime';
import { AGENT_ENGINE, createRuntime, generateKey, hashKey, override, parseConfig, type Override, type Runtime, type Secrets } from '@ccp/runtime';
import { BUILTIN_PLUGINS } from '@ccp/server';
import type { DestinationStream } from 'pino';
import { startSimulator, type Simulator } from './simulator';

/** A plain-object config overlay; merged over the test defaults. */
export type ConfigOverlay = Record<string, unknown>;

/** Options for {@link startTestRuntime}. */
export interface TestRuntimeOptions {
  readonly config?: ConfigOverlay;
  /** Use this simulator instead of starting one (several runtimes can share it). */
  readonly simulator?: Simulator;
  /** A fake agent engine instead of the real CLI (unit tests only; the decorators still wrap it). */
  readonly engine?: Engine;
  /** Other services given by token (see RuntimeOptions.overrides). */
  readonly overrides?: readonly Override[];
  /** The ANTHROPIC_API_KEY the CLI gets; `null` starts without credentials. */
  readonly apiKey?: string | null;
  readonly baseDir?: string;
  /** Shared state (sessions, limits, budgets) in this Redis, as with REDIS_URL. */
  readonly redisUrl?: string;
  /** Keys and the ledger in this PostgreSQL, as with DATABASE_URL (config `database.embeddedDir` for the embedded one). */
  readonly databaseUrl?: string;
  /** Webhook secrets, as CCP_WEBHOOK_SECRETS and keys' webhookSecretEnv would give them. */
  readonly secrets?: Pick<Secrets, 'webhookSecrets' | 'keyWebhookSecrets'>;
  /** Where log lines go (they are discarded unless the config sets a level). */
  readonly logDestination?: DestinationStream;
  /** More of the environment the runtime reads (besides PATH and HOME), e.g. variables an MCP server section names. */
  readonly env?: Readonly<Record<string, string>>;
}

/** A fresh API key and the config entry that admits it. */
export function testKey(name: string, entry: Record<string, unknown> = {}): { key: string; entry: Record<string, unknown>; headers: Record<string, string> } {
  const key = generateKey();
  return { key, entry: { name, sha256: hashKey(key), ...entry }, headers: { authorization: `Bearer ${key}` } };
}

/** A platform listening on 127.0.0.1 with its own simulator and workspace root. */
export interface TestRuntime {
  readonly url: string;
  readonly runtime: Runtime;
  readonly simulator: Simulator;
  /** Root of every query workspace of this runtime; `processesUnder(root)` finds its children. */
  readonly workspaceRoot: string;
  close(): Promise<void>;
}

/** Deep-merges plain objects; arrays and other values in `over` replace those in `base`. */
export function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' ? merge(b as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/**
 * Starts the real platform (real composition root, real CLI unless a fake client is
 * given) against a Messages API simulator, listening on an ephemeral loopback port.
 */
export async function startTestRuntime(options: TestRuntimeOptions = {}): Promise<TestRuntime> {
  const root = await mkdtemp(join(tmpdir(), 'ccp-test-'));
  const workspaceRoot = join(root, 'workspaces');
  const ownSimulator = !options.simulator;
  const simulator = options.simulator ?? (await startSimulator());
  const config = parseConfig(
    merge(
      {
        logging: { level: 'silent' },
        claude: { workspaceRoot, maxRetries: 0 },
        // Tests that are not about authentication or limits switch them off explicitly.
        auth: { enabled: false },
        rateLimits: { perKey: 100_000 },
        limits: { maxConcurrentPerKey: 64 },
        // Tests count the API requests they cause; a cached answer would hide them.
        cache: { enabled: false },
        // Tests count the claude processes they leave; the pool (on in production) keeps some.
        pool: { enabled: false },
      },
      options.config ?? {},
    ),
  );
  const apiKey = options.apiKey === undefined ? 'sk-ant-test-0000' : options.apiKey;
  const runtime = await createRuntime({
    config,
    secrets: { ...(apiKey ? { anthropicApiKey: apiKey } : {}), anthropicBaseUrl: simulator.url, ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}), ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}), ...options.secrets },
    logDestination: options.logDestination,
    env: { PATH: process.env.PATH, HOME: root, ...options.env },
    builtins: BUILTIN_PLUGINS,
    overrides: [...(options.engine ? [override(AGENT_ENGINE, options.engine)] : []), ...(options.overrides ?? [])],
    baseDir: options.baseDir,
  });
  const server: Server = await runtime.listen(0, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    runtime,
    simulator,
    workspaceRoot,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await runtime.dispose();
      if (ownSimulator) await simulator.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
