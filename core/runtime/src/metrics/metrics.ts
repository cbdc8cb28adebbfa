import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Buckets for queries that take from a fraction of a second to many minutes. */
const QUERY_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** A gauge's collect function: sets the gauge to what `value` reads at scrape time. */
function reads(value: () => number): (this: Gauge) => void {
  return function (this: Gauge) {
    this.set(value());
  };
}

/** Breaker states as the `ccp_circuit_breaker_state` gauge reports them. */
export const BREAKER_STATE = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * Every metric the platform exports, on one registry per runtime (so several
 * runtimes in one process never collide). Names follow Prometheus conventions and
 * pass `promtool check metrics`.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'ccp_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  readonly queries = new Counter({
    name: 'ccp_claude_queries_total',
    help: 'Claude queries by plugin and outcome (success, or the failure kind).',
    labelNames: ['plugin', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly definedToolCalls = new Counter({
    name: 'ccp_defined_tool_calls_total',
    help: "Calls of plugins' own (defined) tools by plugin, tool and outcome (success, error, timeout, invalid_input, aborted).",
    labelNames: ['plugin', 'tool', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly queryDuration = new Histogram({
    name: 'ccp_claude_query_duration_seconds',
    help: 'Claude query duration from start to result, by plugin and outcome.',
    labelNames: ['plugin', 'outcome'] as const,
    buckets: QUERY_BUCKETS,
    registers: [this.registry],
  });

  readonly timeToFirstToken = new Histogram({
    name: 'ccp_claude_time_to_first_token_seconds',
    help: 'Time from query start to the first streamed model output, by plugin.',
    labelNames: ['plugin'] as const,
    buckets: QUERY_BUCKETS,
    registers: [this.registry],
  });

  readonly tokens = new Counter({
    name: 'ccp_claude_tokens_total',
    help: 'Tokens used by plugin and type (input, output, cache_read, cache_creation).',
    labelNames: ['plugin', 'type'] as const,
    registers: [this.registry],
  });

  readonly costUsd = new Counter({
    name: 'ccp_claude_cost_usd_total',
    help: 'Estimated cost in US dollars as the SDK reports it, by plugin.',
    labelNames: ['plugin'] as const,
    registers: [this.registry],
  });

  readonly costRecomputedUsd = new Counter({
    name: 'ccp_claude_cost_recomputed_usd_total',
    help: 'Cost in US dollars recomputed from token counts and the configured price table, by plugin and model; compare with ccp_claude_cost_usd_total.',
    labelNames: ['plugin', 'model'] as const,
    registers: [this.registry],
  });

  readonly unpricedQueries = new Counter({
    name: 'ccp_claude_unpriced_queries_total',
    help: 'Queries whose model is not in the price table (no recomputed cost), by plugin and model.',
    labelNames: ['plugin', 'model'] as const,
    registers: [this.registry],
  });

  readonly inFlight = new Gauge({
    name: 'ccp_claude_queries_in_flight',
    help: 'Claude queries running now, by plugin.',
    labelNames: ['plugin'] as const,
    registers: [this.registry],
  });

  readonly apiRetries = new Counter({
    name: 'ccp_claude_api_retries_total',
    help: 'API requests the CLI retried on its own before answering or giving up, by plugin and HTTP status.',
    labelNames: ['plugin', 'status'] as const,
    registers: [this.registry],
  });

  readonly deniedToolCalls = new Counter({
    name: 'ccp_claude_denied_tool_calls_total',
    help: 'Tool calls refused, by plugin and tool: by the permission layer, or a call of a tool the query did not offer (tool "(not offered)").',
    labelNames: ['plugin', 'tool'] as const,
    registers: [this.registry],
  });

  readonly admissionLimit = new Gauge({
    name: 'ccp_admission_limit',
    help: 'Limits of this instance, by kind: in_flight (calls at once; admission.maxConcurrent or derived from memory), starting (claude processes starting at once; admission.maxStarting or one per CPU), pool_processes (processes the warm pool may keep).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly processesStarting = new Gauge({
    name: 'ccp_claude_processes_starting',
    help: 'claude processes starting now (from spawn to their first message), and waiting to start.',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly processRss = new Gauge({
    name: 'ccp_claude_process_rss_bytes',
    help: 'Resident memory of the running claude processes, sampled from /proc: max and mean over the processes, and their sum.',
    labelNames: ['stat'] as const,
    registers: [this.registry],
  });

  readonly admissionRunning = new Gauge({
    name: 'ccp_admission_running',
    help: 'Queries holding an admission slot now.',
    registers: [this.registry],
  });

  readonly admissionQueued = new Gauge({
    name: 'ccp_admission_queue_depth',
    help: 'Queries waiting for an admission slot now.',
    registers: [this.registry],
  });

  readonly admissionWait = new Histogram({
    name: 'ccp_admission_queue_wait_seconds',
    help: 'Time a query waited for an admission slot, by plugin.',
    labelNames: ['plugin'] as const,
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly admissionRejected = new Counter({
    name: 'ccp_admission_rejected_total',
    help: 'Queries refused at once because every slot and queue place was taken, by plugin.',
    labelNames: ['plugin'] as const,
    registers: [this.registry],
  });

  readonly cacheRequests = new Counter({
    name: 'ccp_cache_requests_total',
    help: 'Response cache look-ups by plugin and result (hit, miss, bypass).',
    labelNames: ['plugin', 'result'] as const,
    registers: [this.registry],
  });

  readonly poolProcesses = new Gauge({
    name: 'ccp_pool_processes',
    help: 'claude processes kept by the pool, by state: warming (prewarm running), spare (parked, not yet bound), idle (bound to a plugin operation and caller, waiting), busy (answering a call or being cleared).',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly poolLeases = new Counter({
    name: 'ccp_pool_leases_total',
    help: 'Stateless queries by the process that served them: reused (an idle process of the same operation and caller), spare (a parked spare, claimed), cold (a new process, spawned on the request path, kept afterwards), full (the pool was full: a one-off process), fallback (a pool process could not take the call, which then ran one-off).',
    labelNames: ['plugin', 'result'] as const,
    registers: [this.registry],
  });

  readonly spawns = new Counter({
    name: 'ccp_claude_spawns_total',
    help: 'claude processes started, by kind: cold (on the request path) or spare (ahead of time).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly breakerState = new Gauge({
    name: 'ccp_circuit_breaker_state',
    help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open.',
    registers: [this.registry],
  });

  readonly breakerTransitions = new Counter({
    name: 'ccp_circuit_breaker_transitions_total',
    help: 'Circuit breaker state changes, by the state entered.',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly auditWriteFailures = new Counter({
    name: 'ccp_audit_write_failures_total',
    help: 'Attempts to write (or open) the audit file that failed; each retry counts.',
    registers: [this.registry],
  });

  readonly auditDroppedLines = new Counter({
    name: 'ccp_audit_lines_dropped_total',
    help: 'Audit lines lost because the audit file could not take them (backlog full, or still queued at shutdown).',
    registers: [this.registry],
  });

  /** What the job gauges read at each scrape (the composition root gives the queue). */
  private jobQueue: (() => { waiting: number; running: number; oldestWaitingSince?: number }) | undefined;

  /** Reads the job queue's figures at each scrape. */
  observeJobQueue(size: () => { waiting: number; running: number; oldestWaitingSince?: number }): void {
    this.jobQueue = size;
  }

  readonly jobs = new Counter({
    name: 'ccp_jobs_total',
    help: 'Background jobs by plugin and the state they reached: queued (submitted), succeeded, failed, cancelled.',
    labelNames: ['plugin', 'state'] as const,
    registers: [this.registry],
  });

  readonly jobsQueued = new Gauge({
    name: 'ccp_jobs_queued',
    help: 'Background jobs waiting to run (in the whole queue: with Redis, every replica reports the shared figure).',
    registers: [this.registry],
    collect: reads(() => this.jobQueue?.().waiting ?? 0),
  });

  readonly jobsRunning = new Gauge({
    name: 'ccp_jobs_running',
    help: 'Background jobs running on this instance.',
    registers: [this.registry],
    collect: reads(() => this.jobQueue?.().running ?? 0),
  });

  readonly jobsOldestQueuedAge = new Gauge({
    name: 'ccp_jobs_oldest_queued_age_seconds',
    help: 'How long the oldest waiting background job has waited (0 when none waits).',
    registers: [this.registry],
    collect: reads(() => {
      const since = this.jobQueue?.().oldestWaitingSince;
      return since === undefined ? 0 : Math.max(0, (Date.now() - since) / 1000);
    }),
  });

  /** What the key and ledger gauges read at each scrape (the composition root gives them, when there is a database). */
  private keyCounts: (() => Readonly<Record<'active' | 'expired' | 'revoked', number>>) | undefined;
  private ledgerLag: (() => number) | undefined;

  /** Reads the keys in the database by state, and the ledger's write lag, at each scrape. */
  observeKeysAndLedger(keys: () => Readonly<Record<'active' | 'expired' | 'revoked', number>>, lagSeconds: () => number): void {
    this.keyCounts = keys;
    this.ledgerLag = lagSeconds;
  }

  readonly apiKeys = new Gauge({
    name: 'ccp_api_keys',
    help: 'API keys in the database by state (active, expired, revoked), as this instance last read them; keys of the config file are not counted.',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: () => {
      const counts = this.keyCounts?.();
      for (const state of ['active', 'expired', 'revoked'] as const) this.apiKeys.set({ state }, counts?.[state] ?? 0);
    },
  });

  readonly ledgerWriteLag = new Gauge({
    name: 'ccp_ledger_write_lag_seconds',
    help: 'How long the oldest usage ledger row not yet written has waited (0 when all are written).',
    registers: [this.registry],
    collect: reads(() => this.ledgerLag?.() ?? 0),
  });

  readonly ledgerRowsWritten = new Counter({
    name: 'ccp_ledger_rows_written_total',
    help: 'Usage ledger rows written to the database.',
    registers: [this.registry],
  });

  readonly ledgerWriteFailures = new Counter({
    name: 'ccp_ledger_write_failures_total',
    help: 'Attempts to write usage ledger rows that failed (the rows are kept and retried).',
    registers: [this.registry],
  });

  readonly ledgerRowsDropped = new Counter({
    name: 'ccp_ledger_rows_dropped_total',
    help: 'Usage ledger rows lost: the backlog was full while the database failed, or they were unwritten at shutdown.',
    registers: [this.registry],
  });

  readonly webhookDeliveries = new Counter({
    name: 'ccp_webhook_deliveries_total',
    help: 'Job webhook delivery attempts by outcome (delivered, http_error, timeout, network_error, blocked); each retry counts.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly sourceTransfers = new Counter({
    name: 'ccp_source_transfers_total',
    help: 'Clones and fetches of repository mirrors by repository, kind (clone, fetch) and result (ok, failed).',
    labelNames: ['repository', 'kind', 'result'] as const,
    registers: [this.registry],
  });

  readonly sourceTransferDuration = new Histogram({
    name: 'ccp_source_transfer_duration_seconds',
    help: 'How long clones and fetches of repository mirrors took, by kind.',
    labelNames: ['kind'] as const,
    buckets: QUERY_BUCKETS,
    registers: [this.registry],
  });

  readonly treeMaterialiseDuration = new Histogram({
    name: 'ccp_source_materialise_duration_seconds',
    help: "How long checking a repository commit out into a query's workspace took (checkout and tree guard).",
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
      // prom-client names these gauges `*_total`, which promtool rejects; the same counts
      // are in nodejs_active_handles / nodejs_active_requests / nodejs_active_resources.
      for (const name of MISNAMED_DEFAULTS) this.registry.removeSingleMetric(name);
    }
    this.breakerState.set(BREAKER_STATE.closed);
  }
}
