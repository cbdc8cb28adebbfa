import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_TOOLS, gitRef, REPOSITORY_NAME_PATTERN } from '@ccp/plugin-api';
import { z } from 'zod';
import { allowedUrlProblem } from '../jobs/webhooks/allowed-urls';
import { repositoryUrlProblem } from '../sources/repository-url';

const positiveInt = z.number().int().positive();

const variable = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be the name of an environment variable (letters, digits, _), never its value');
const mcpTools = z.array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a tool name the server lists')).min(1, 'must allow at least one of the server\'s tools');

/**
 * An MCP server an operator gives one plugin (never a request): started by the `claude` CLI
 * (stdio) or reached over Streamable HTTP, with exactly the `tools` named here offered to the
 * model. Checked at boot: it must start, list its tools, and list every tool named here.
 */
export const externalMcpServerSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('stdio'),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    /** Variables copied from the platform's environment into the server's (nothing else of it is). */
    env: z.array(variable).default([]),
    tools: mcpTools,
  }),
  z.strictObject({
    type: z.literal('http'),
    /** Must fall under an entry of `mcp.allowedServerUrls`. */
    url: z.string().min(1).max(2048),
    /** Request headers by name, each the name of the environment variable holding its value (`Authorization: NOTES_MCP_TOKEN`). */
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name'), variable).default({}),
    tools: mcpTools,
  }),
]);

/** Per-plugin settings an operator may give; they can narrow a plugin, never widen it. */
export const pluginConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** A module path (relative to the config file) or package name exporting a plugin. */
  module: z.string().min(1).optional(),
  /** A plugin written in YAML: the definition itself, or the path of a YAML file holding it. */
  definition: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  /** The engine that runs the plugin: `agent` (the claude CLI) or `messages` (one Messages API call; no tools, no workspace). */
  engine: z.enum(['agent', 'messages']).optional(),
  model: z.string().min(1).optional(),
  maxTurns: positiveInt.optional(),
  maxBudgetUsd: z.number().positive().optional(),
  timeoutMs: positiveInt.optional(),
  /** A subset of the plugin's declared tools. */
  tools: z.array(z.enum(BUILTIN_TOOLS)).optional(),
  /** Cache this plugin's answers: default on for read-only plugins, off for any that may write. */
  cache: z.boolean().optional(),
  /** External MCP servers whose allowed tools this plugin's model may use, by server name (`mcp__<name>__<tool>`). */
  mcpServers: z.record(z.string().regex(/^[a-z][a-z0-9-]{0,29}$/, 'must be a lower-case server name, e.g. notes'), externalMcpServerSchema).optional(),
});

const usd = z.number().positive();
const window = z.strictObject({ limit: positiveInt, windowMs: positiveInt.optional() });
/** A spending budget: per UTC day and per month. */
export const budgetSchema = z.strictObject({ dailyUsd: usd.optional(), monthlyUsd: usd.optional() });
const budget = budgetSchema;
/** A key's budget: its own day and month, and optionally a day and month per plugin it calls. */
export const keyBudgetSchema = budgetSchema.extend({
  /** By plugin id: what this key may spend on that plugin (within its own budget). */
  plugins: z.record(z.string(), budgetSchema).optional(),
});

/** One API key: its SHA-256 (never the key), who it is, what it may do. */
export const apiKeySchema = z.strictObject({
  /** Shown in audit lines, metrics-free logs and the admin usage report; never the key. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, dots, dashes or underscores')
    .refine((n) => n !== 'anonymous', '"anonymous" is reserved for callers while authentication is off'),
  /** Hex SHA-256 of the key, as `npm run keys -- create` prints it. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the 64-character hex SHA-256 of the key'),
  roles: z.array(z.enum(['user', 'admin'])).min(1).default(['user']),
  /** Plugin ids this key may call; `*` for all. */
  plugins: z.array(z.string().min(1)).min(1).default(['*']),
  /** Requests per `rateLimits.windowMs` for this key (the default is `rateLimits.perKey`). */
  rateLimit: z.strictObject({ limit: positiveInt }).optional(),
  /** Queries this key may have running at once (the default is `limits.maxConcurrentPerKey`). */
  maxConcurrent: positiveInt.optional(),
  budget: keyBudgetSchema.optional(),
  /**
   * The environment variable holding this key's own webhook secret (`whsec_…`, comma-separated
   * for a rotation): it signs this key's job webhooks instead of `CCP_WEBHOOK_SECRETS`, so no
   * other tenant can forge a delivery to this key's receiver. The secret itself never goes in
   * the config.
   */
  webhookSecretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be the name of an environment variable').optional(),
});

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be the name of an environment variable (letters, digits, _), never its value');

/** A repository the platform may read for operations that take a `source`; its credentials are named, never given. */
export const repositorySchema = z.strictObject({
  /** What a call names in `source.repository`. */
  name: z.string().regex(new RegExp(REPOSITORY_NAME_PATTERN), 'must be 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit'),
  /** https://, ssh://, user@host:path or file:/// (tests, air-gapped mirrors); git may use this scheme only. */
  url: z.string().min(1).max(2048).superRefine((url, ctx) => {
    const problem = repositoryUrlProblem(url);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  /**
   * For https: the environment variables holding a username (`x-access-token` when absent,
   * which GitHub and GitLab accept with a token) and a token or password. They reach git
   * through a credential helper's environment, never a command line, a URL or a log line.
   */
  credentials: z.strictObject({ usernameEnv: envName.optional(), tokenEnv: envName }).optional(),
  /** The `base` of a call that names none; the remote's default branch (its HEAD) when absent. */
  defaultBranch: gitRef.optional(),
});

/** The whole platform configuration. Secrets are never part of it: they come from the environment. */
export const configSchema = z.strictObject({
  server: z
    .strictObject({
      port: z.number().int().min(0).max(65535).default(8080),
      host: z.string().min(1).default('0.0.0.0'),
      /** Largest JSON body accepted, in bytes. */
      bodyLimitBytes: positiveInt.default(2 * 1024 * 1024),
      /** Interval of the keep-alive comment on Server-Sent Event streams. */
      sseHeartbeatMs: positiveInt.default(15_000),
      /** How long a client may take to send a whole request (headers and body). */
      requestTimeoutMs: positiveInt.default(30_000),
      /** On SIGTERM, how long running requests may finish before their queries are ended. */
      shutdownGraceMs: z.number().int().min(0).default(30_000),
      /** `trust proxy` for express; false unless the platform sits behind a known proxy. */
      trustProxy: z.union([z.boolean(), z.number().int().min(0), z.string()]).default(false),
    })
    .prefault({}),
  logging: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      /** Regular expressions whose matches are censored in every log line (secrets are always). */
      redactPatterns: z.array(z.string().refine((p) => { try { new RegExp(p); return true; } catch { return false; } }, 'must be a valid regular expression')).default([]),
    })
    .prefault({}),
  auth: z
    .strictObject({
      /** Off only when set to false explicitly; /health/ready then says so. */
      enabled: z.boolean().default(true),
      keys: z.array(apiKeySchema).default([]),
    })
    .prefault({})
    .refine((a) => new Set(a.keys.map((k) => k.name)).size === a.keys.length, 'key names must be unique')
    .refine((a) => new Set(a.keys.map((k) => k.sha256)).size === a.keys.length, 'two keys have the same hash'),
  rateLimits: z
    .strictObject({
      windowMs: positiveInt.default(60_000),
      /** Requests per window for each key (or each client address when auth is off). */
      perKey: positiveInt.default(120),
      /** Requests per window for each key on one plugin's operations. */
      plugins: z.record(z.string(), window).default({}),
    })
    .prefault({}),
  limits: z
    .strictObject({
      /** Queries one key may have running at once; more get 429. */
      maxConcurrentPerKey: positiveInt.default(4),
    })
    .prefault({}),
  budgets: z
    .strictObject({
      /** Reserved per query when the plugin sets no maxBudgetUsd, then settled to the reported cost. */
      reservationUsd: usd.default(0.5),
      /** Spending caps per plugin, across all keys. */
      plugins: z.record(z.string(), budget).default({}),
    })
    .prefault({}),
  audit: z
    .strictObject({
      /** Also append audit lines to this file (they always go to stdout). */
      file: z.string().min(1).optional(),
      /**
       * While `file` cannot be written (full disk, read-only mount): `continue` serving
       * (readiness says the audit is degraded; lines beyond the in-memory backlog are dropped
       * and counted), or `refuse` new calls with 503 audit_unavailable (readiness 503).
       */
      onFailure: z.enum(['continue', 'refuse']).default('continue'),
    })
    .prefault({}),
  cors: z
    .strictObject({
      /** Origins allowed to call from a browser; none (no CORS headers) by default. */
      origins: z.array(z.string().url().or(z.literal('*'))).default([]),
    })
    .prefault({}),
  claude: z
    .strictObject({
      /** Default model for plugins that name none; the CLI's default when unset. */
      model: z.string().min(1).optional(),
      /** Upper bound for one query, from spawn to result. */
      timeoutMs: positiveInt.default(300_000),
      /** Retries the CLI makes on its own for API errors before it reports one (CLAUDE_CODE_MAX_RETRIES). */
      maxRetries: z.number().int().min(0).max(10).default(2),
      /** Where each query's private workspace directory is made. */
      workspaceRoot: z.string().min(1).default(join(tmpdir(), 'ccp-workspaces')),
      /** Path to a `claude` executable; the SDK's bundled binary when unset. */
      executable: z.string().min(1).optional(),
    })
    .prefault({}),
  sessions: z
    .strictObject({
      /** A session expires this long after its last turn. */
      ttlMs: positiveInt.default(3_600_000),
      /** A session expires after this many turns. */
      maxTurns: positiveInt.default(50),
      /** Open sessions one caller may have; more get 429 too_many_sessions. */
      maxPerCaller: positiveInt.default(100),
    })
    .prefault({}),
  /** The platform as an MCP server at /mcp (Streamable HTTP): every operation a key may use is a tool. */
  mcp: z
    .strictObject({
      /** Serve /mcp. */
      enabled: z.boolean().default(true),
      /** A session that sent no request for this long is closed (its client starts a new one on the 404). */
      sessionIdleMs: positiveInt.default(1_800_000),
      /** Open MCP sessions one API key may have on an instance; more get 429 too_many_sessions. */
      maxSessionsPerCaller: positiveInt.default(20),
      /** URL prefixes an HTTP MCP server in plugins.<id>.mcpServers must fall under (scheme, host and port exactly, then the start of the path). */
      allowedServerUrls: z
        .array(z.string())
        .default([])
        .superRefine((list, ctx) => list.forEach((entry, i) => {
          const problem = allowedUrlProblem(entry);
          if (problem) ctx.addIssue({ code: 'custom', path: [i], message: problem });
        })),
      /** How long the boot check waits for an external MCP server to start and list its tools. */
      serverCheckTimeoutMs: positiveInt.default(15_000),
    })
    .prefault({}),
  pricing: z
    .strictObject({
      /** USD per million tokens, by a part of the model name (first match wins). */
      models: z
        .record(z.string(), z.strictObject({ input: z.number().min(0), output: z.number().min(0), cacheRead: z.number().min(0), cacheWrite: z.number().min(0) }))
        .default({
          haiku: { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
          sonnet: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
          opus: { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 },
        }),
    })
    .prefault({}),
  pool: z
    .strictObject({
      /**
       * Keep `claude` processes alive for stateless calls: parked spares per operation, and
       * processes that answer further calls of the same operation for the same caller
       * (about 200 MB each; the cap is derived from memory, like admission).
       */
      enabled: z.boolean().default(true),
      /** Unbound spares kept ready per plugin operation (for a caller's first call). */
      sparesPerOperation: z.number().int().min(0).default(1),
      /** Processes kept by the pool at most (spares, idle and busy); derived from memory like admission when unset. */
      maxProcesses: positiveInt.optional(),
      /** A spare or idle process unused for this long is ended (a spare is then replaced). */
      maxIdleMs: positiveInt.default(600_000),
      /** Calls one process answers before it is replaced (bounds what a long-lived process accumulates). */
      maxCallsPerProcess: positiveInt.default(100),
    })
    .prefault({}),
  cache: z
    .strictObject({
      /** Exact-match answers for stateless calls of read-only plugins. */
      enabled: z.boolean().default(true),
      ttlMs: positiveInt.default(600_000),
      /** In-memory entries (Redis, when used, keeps them by TTL alone). */
      maxEntries: positiveInt.default(1000),
      /**
       * Who shares an entry: `key` (default) keeps each API key's answers to itself, so no
       * key can tell whether another sent the same content; `global` shares them all.
       */
      scope: z.enum(['key', 'global']).default('key'),
    })
    .prefault({}),
  admission: z
    .strictObject({
      /**
       * Calls in flight on this instance (most of their time is spent waiting on the model,
       * holding a ~200 MB `claude` process): derived from memory when unset, (free memory at
       * boot − memoryReserveMb) / processMemoryMb.
       */
      maxConcurrent: positiveInt.optional(),
      /** `claude` processes starting at once (CPU-bound: about one per core); derived from the CPUs when unset. */
      maxStarting: positiveInt.optional(),
      /** What one `claude` process is taken to hold, in MiB (measured: 170 idle, up to ~200 busy; see ccp_claude_process_rss_bytes). */
      processMemoryMb: positiveInt.default(220),
      /** Memory kept for the server itself and the host, in MiB. */
      memoryReserveMb: z.number().int().min(0).default(1024),
      /**
       * How long a call may wait for a slot. A burst queues; a call is refused with 503
       * at_capacity (Retry-After from the observed drain rate) only when its wait would pass this.
       */
      maxQueueWaitMs: positiveInt.default(120_000),
      /** Calls waiting at most: only a memory guard (the wait bound above is the reason to refuse). */
      queueSize: z.number().int().min(0).default(1000),
      /** Per-plugin caps (each also within maxConcurrent). */
      plugins: z.record(z.string(), positiveInt).default({}),
      /** Retry-After sent with at_capacity before any drain rate has been observed. */
      retryAfterSeconds: positiveInt.default(2),
    })
    .prefault({}),
  breaker: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Failed share of queries in the window that opens the breaker. */
      errorThresholdPercentage: z.number().min(1).max(100).default(50),
      /** Queries the window must hold before the breaker may open. */
      volumeThreshold: positiveInt.default(5),
      /** Length of the rolling window. */
      rollingWindowMs: positiveInt.default(60_000),
      /** How long the breaker stays open before it lets one trial query through. */
      resetTimeoutMs: positiveInt.default(30_000),
    })
    .prefault({}),
  jobs: z
    .strictObject({
      /**
       * Jobs running at once on this instance. Never more than half the instance's
       * in-flight capacity (admission), so synchronous calls always keep the other half.
       */
      concurrency: positiveInt.default(16),
      /** Queued (not yet running) jobs one key may have; more get 429 too_many_jobs. */
      maxQueuedPerKey: positiveInt.default(100),
      /** How long a finished job (its result, problem and events) is kept, then deleted. */
      retentionMs: positiveInt.default(7 * 24 * 3_600_000),
      /** How long an Idempotency-Key is remembered. */
      idempotencyTtlMs: positiveInt.default(24 * 3_600_000),
      /** Jobs submitted together (POST /v1/batches): admitted all or none, one webhook when the last ends. */
      batches: z
        .strictObject({
          /** Requests one batch may hold. */
          maxJobs: z.number().int().min(1).max(10_000).default(100),
          /** Batches one key may have running at once; more get 429 too_many_batches. */
          maxOpenPerKey: positiveInt.default(10),
        })
        .prefault({}),
      /** Signed callbacks when a job ends (Standard Webhooks; secrets from CCP_WEBHOOK_SECRETS). */
      webhooks: z
        .strictObject({
          /**
           * URL prefixes a job's webhook must fall under (scheme, host and port exactly, then the
           * start of the path); none: webhooks are refused. A loopback, private or link-local
           * address is called only when an entry names that address as its host.
           */
          allowedUrls: z.array(z.string().superRefine((u, ctx) => {
            const problem = allowedUrlProblem(u);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          })).default([]),
          /** Attempts per delivery, the first included; a non-2xx answer or a timeout is retried. */
          maxAttempts: z.number().int().min(1).max(20).default(8),
          /** The wait before the first retry; each next one doubles, up to maxDelayMs. */
          initialDelayMs: positiveInt.default(10_000),
          maxDelayMs: positiveInt.default(3_600_000),
          /** Each wait is moved by up to this share of itself (under 1/3 keeps every wait longer than the last). */
          jitter: z.number().min(0).max(1).default(0.2),
          /** One attempt, connection to the end of the answer. */
          timeoutMs: positiveInt.default(10_000),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Repositories operations may read (`source: { repository, head, base? }`); no other is ever fetched. */
  repositories: z
    .array(repositorySchema)
    .default([])
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((r, i) => {
        if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `repeats the repository name "${r.name}"` });
        seen.add(r.name);
      });
    }),
  sources: z
    .strictObject({
      /** Where the bare mirror of each repository is kept (one per repository, shared by all calls on the instance). */
      mirrorDir: z.string().min(1).default(join(tmpdir(), 'ccp-mirrors')),
      /** The first clone of a repository, and each fetch, must finish in this time. */
      fetchTimeoutMs: positiveInt.default(300_000),
      /** Files (and symlinks) a head tree may hold; more is 413 source_too_large. */
      maxFiles: positiveInt.default(25_000),
      /** Bytes a head tree may hold, all files together. */
      maxBytes: positiveInt.default(256 * 1024 * 1024),
      /** Bytes of diff between base and head the platform reads; more is 413 source_too_large. */
      maxDiffBytes: positiveInt.default(8 * 1024 * 1024),
    })
    .prefault({}),
  /**
   * Where API keys made at run time and the usage ledger live. `DATABASE_URL` (PostgreSQL,
   * shared by replicas) wins; else the embedded database (PGlite) in `embeddedDir`; with
   * neither (or `enabled: false`) keys come from `auth.keys` alone and no ledger is kept.
   */
  database: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** The embedded database's directory (relative to the working directory); the shipped config sets `data`. */
      embeddedDir: z.string().min(1).optional(),
      /** Allow the embedded database while REDIS_URL is set (a single instance using Redis): keys and ledger are then not shared. */
      allowUnshared: z.boolean().default(false),
      /** How often each instance reads key changes made elsewhere: the bound on how late a change reaches another replica. */
      keyRefreshMs: z.number().int().min(50).max(60_000).default(1_000),
      /** How long a rotated-away secret keeps working when the rotation names no grace period. */
      rotationGraceSeconds: z.number().int().min(0).max(90 * 86_400).default(86_400),
      ledger: z
        .strictObject({
          /** Ledger rows are written in batches this often (off the request path) and on shutdown. */
          flushMs: positiveInt.default(1_000),
          /** Rows kept in memory while the database does not take them; more are dropped and counted. */
          maxBacklog: positiveInt.default(100_000),
          /** Rows older than this are deleted (checked at boot and hourly). */
          retentionDays: positiveInt.default(400),
        })
        .prefault({}),
    })
    .prefault({}),
  /**
   * Per-plugin sections. The built-in plugins (named by the server package) are served
   * unless their section says `enabled: false`; any other id adds a plugin (module or YAML).
   */
  plugins: z.record(z.string(), pluginConfigSchema).default({}),
});

/** Validated, frozen platform configuration. */
export type PlatformConfig = z.output<typeof configSchema>;
/** One external MCP server of a plugin. */
export type ExternalMcpServerConfig = z.output<typeof externalMcpServerSchema>;
/** One plugin's section of the config. */
export type PluginConfig = z.output<typeof pluginConfigSchema>;
/** One configured repository. */
export type RepositoryConfig = z.output<typeof repositorySchema>;
/** One configured API key. */
export type ApiKeyConfig = z.output<typeof apiKeySchema>;

/** Secrets, read from the environment only and kept out of the config object. */
export interface Secrets {
  readonly anthropicApiKey?: string;
  readonly claudeOauthToken?: string;
  readonly anthropicBaseUrl?: string;
  /** Redis for state shared by replicas: sessions, limits, budgets, cache, jobs and batches. */
  readonly redisUrl?: string;
  /** PostgreSQL for API keys and the usage ledger, shared by replicas (`DATABASE_URL`; it may hold a password). */
  readonly databaseUrl?: string;
  /**
   * Standard Webhooks secrets (`whsec_…`) that sign job webhooks, from `CCP_WEBHOOK_SECRETS`
   * (comma-separated for a rotation, the newest first: each one adds a signature).
   */
  readonly webhookSecrets?: readonly string[];
  /** By API key name: the secrets of the variable its `webhookSecretEnv` names (they sign that key's webhooks instead). */
  readonly keyWebhookSecrets?: Readonly<Record<string, readonly string[]>>;
}
