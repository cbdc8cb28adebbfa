import { AsyncLocalStorage } from 'node:async_hooks';
import { waitUntil } from '@ccp/testing';
import { auditFileLines, type AuditLine } from './audit';
import { codeOf, rawRequest, type Answer, type CallRecord, type RawRequest, type SpendExpectation } from './calls';
import { checkAudit } from './invariants';
import { LivenessWatch } from './liveness';
import { gist, Recorder } from './recorder';
import type { FaultServer } from './server';
import { claudeProcesses, leftUnder, poolAccounted } from './tree';

export { saveUnfinishedProbes } from './recorder';

/** A probe's test may take this long (several tries, each with its checks, on a busy machine). */
export const PROBE_TIMEOUT_MS = 150_000;

/** The call every try ends with: cheap (the messages engine: no claude process), through the whole pipeline. */
export const GOOD_CALL = { path: '/v1/plugins/commit-message/write', body: { diff: '--- a/x.ts\n+++ b/x.ts\n@@ -1 +1 @@\n-export const x = 1;\n+export const x = 2;\n' } };
/** The call a probe ends with: the agent engine, a real `claude` process. */
export const GOOD_AGENT_CALL = { path: '/v1/plugins/code-review/review', body: { files: [{ path: 'a.ts', content: 'export const a = 1;\n' }] } };

/** The error of a logged "unhandled error" line, in a few words (its type and message, not its stack or time). */
function errorOf(line: string): string {
  try {
    const { err } = JSON.parse(line) as { err?: { type?: string; message?: string } };
    return `${err?.type ?? 'Error'}: ${err?.message ?? '?'}`.slice(0, 200);
  } catch {
    return line.slice(0, 200);
  }
}

/** Request ids of every call made to each server (by pid): an audit line outside them belongs to no call. */
const known = new Map<number, Set<string>>();

/** HTTP options of a probe's request: whose key, whether it is a call, how its audit line settles. */
export type ProbeRequest = Omit<RawRequest, 'path' | 'method'> & {
  readonly as?: 'user' | 'admin' | 'nobody';
  /** A call (an operation, a session turn, a job): it must leave exactly one audit line. */
  readonly call?: boolean;
  readonly spend?: SpendExpectation;
};

/**
 * One fault, tried one or more times against a real server process. Each try runs, then
 * the invariants every probe holds are checked for it: `/health/live` answered within a
 * second throughout, no 500 and no unhandled error logged, exactly one audit line per call
 * with its outcome and settled spend, and the next good call succeeds. {@link finish} adds
 * a last try: an agent call succeeds, and no `claude` process or workspace is left beyond
 * what the pool accounts for (none after a shutdown). A try that does not hold is recorded
 * and, at the end, fails the test.
 */
export class Probe {
  readonly calls: CallRecord[] = [];
  private readonly watch: LivenessWatch;
  private readonly row: Recorder;
  /** The calls of the try running in this async context (tries may run at once). */
  private readonly current = new AsyncLocalStorage<CallRecord[]>();
  /** Calls whose audit lines a try has checked; {@link finish} checks the rest. */
  private readonly checked = new WeakSet<CallRecord>();
  private seq = 0;
  private readonly slug: string;

  constructor(
    readonly name: string,
    readonly server: FaultServer,
    /** What each try is, for the table. */
    readonly triesAre: string,
  ) {
    this.slug = `f${name.replace(/[^a-z0-9]+/gi, '').slice(0, 20)}${Date.now() % 100000}`;
    this.watch = new LivenessWatch(server.url, () => server.stoppingSince());
    if (!known.has(server.pid)) known.set(server.pid, new Set());
    this.row = new Recorder(name, triesAre, () => this.watch.stop());
  }

  private headersOf(as: ProbeRequest['as']): Record<string, string> {
    if (as === 'nobody') return {};
    return as === 'admin' ? this.server.keys.admin.headers : this.server.keys.user.headers;
  }

  /** A fresh request id of this probe (safe to send as X-Request-Id). */
  nextRequestId(): string {
    return `${this.slug}-${++this.seq}`;
  }

  /** Keeps a call made another way (WebSocket, SSE, a job) so its audit line is checked. */
  record(call: CallRecord): CallRecord {
    this.calls.push(call);
    this.current.getStore()?.push(call);
    if (call.requestId) known.get(this.server.pid)?.add(call.requestId);
    return call;
  }

  /**
   * Counts a call made earlier (started before the fault, answered during it) in the try
   * running now, so its audit line is checked with that try.
   */
  claim(call: CallRecord): void {
    const mine = this.current.getStore();
    if (mine && !mine.includes(call)) mine.push(call);
  }

  /** Marks a request id as one of this probe's (a WebSocket call's, once the server named it). */
  own(requestId: string): void {
    known.get(this.server.pid)?.add(requestId);
  }

  /** One HTTP request, sent byte for byte, with the caller's key and a request id of this probe. */
  async http(label: string, method: string, path: string, options: ProbeRequest = {}): Promise<Answer & { requestId: string; call: CallRecord }> {
    const requestId = this.nextRequestId();
    const answer = await rawRequest(this.server.url, { ...options, method, path, headers: { 'x-request-id': requestId, ...this.headersOf(options.as), ...options.headers } });
    const code = codeOf(answer);
    const usage = answer.json?.usage as { costUsd?: number } | undefined;
    const call = this.record({
      label,
      transport: 'http',
      requestId,
      status: answer.status,
      code,
      audited: options.call ?? false,
      spend: options.spend ?? (code === 'success' ? 'reported' : 'none'),
      ...(typeof usage?.costUsd === 'number' ? { costUsd: usage.costUsd } : {}),
    });
    return { ...answer, requestId, call };
  }

  /** A JSON POST (a call unless `call: false`). */
  post(label: string, path: string, body: unknown, options: ProbeRequest = {}): Promise<Answer & { requestId: string; call: CallRecord }> {
    return this.http(label, 'POST', path, { call: true, ...options, body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...options.headers } });
  }

  /** A GET of another route (not a call). */
  get(label: string, path: string, options: ProbeRequest = {}): Promise<Answer & { requestId: string; call: CallRecord }> {
    return this.http(label, 'GET', path, { call: false, ...options });
  }

  /** The cheap good call: it must succeed. */
  async goodCall(as: 'user' | 'admin' = 'user'): Promise<void> {
    const res = await this.post('the next good call', GOOD_CALL.path, GOOD_CALL.body, { timeoutMs: 15_000, as });
    if (res.status !== 200) throw new Error(`the next good call answered ${res.status} ${res.text.slice(0, 200)}`);
  }

  /** The agent good call: a real claude process answers. */
  async goodAgentCall(): Promise<void> {
    const res = await this.post('the next good agent call', GOOD_AGENT_CALL.path, GOOD_AGENT_CALL.body, { timeoutMs: 30_000 });
    if (res.status !== 200) throw new Error(`the next good agent call answered ${res.status} ${res.text.slice(0, 200)}`);
  }

  /**
   * One try of the fault: `fn` makes its calls and asserts what it expects of them; then the
   * invariants are checked for the calls it made (`goodCall: 'admin'` makes the next good
   * call with the other key, when the fault spent the user key's limit); `goodCall: false` leaves out the next good
   * call (when the fault is still on, e.g. Redis down, the probe makes it later).
   */
  async attempt(label: string, fn: () => Promise<unknown>, options: { goodCall?: boolean | 'admin' } = {}): Promise<boolean> {
    const started = Date.now();
    const mine: CallRecord[] = [];
    const unhandled = this.server.unhandled().length;
    const answered500 = await this.answered500();
    const why: string[] = [];
    await this.current.run(mine, async () => {
      try {
        await fn();
      } catch (err) {
        why.push(gist(err));
      }
      if (options.goodCall !== false) await this.goodCall(options.goodCall === 'admin' ? 'admin' : 'user').catch((err: unknown) => why.push(gist(err)));
    });
    why.push(...(await this.invariants(mine, started, unhandled)));
    const after500 = await this.answered500();
    if (answered500 !== undefined && after500 !== undefined && after500 > answered500) why.push(`the server counted ${after500 - answered500} response(s) as 500 (ccp_http_request_duration_seconds)`);
    for (const c of mine) this.checked.add(c);
    return this.row.add(label, why);
  }

  /** How many responses the server's own metrics count as 500 so far (undefined once it stopped listening). */
  private async answered500(): Promise<number | undefined> {
    if (this.server.stoppingSince() !== undefined) return undefined;
    const metrics = await rawRequest(this.server.url, { method: 'GET', path: '/metrics', timeoutMs: 2000 });
    if (metrics.status !== 200) return undefined;
    return [...metrics.text.matchAll(/^ccp_http_request_duration_seconds_count\{[^}]*status_code="500"[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
  }

  private async invariants(calls: readonly CallRecord[], started: number, unhandledBefore: number): Promise<string[]> {
    const why: string[] = [];
    for (const c of calls) if (c.status === 500 || c.code === 'internal_error') why.push(`${c.label}: a 500 (${c.code})`);
    const unhandled = this.server.unhandled().slice(unhandledBefore);
    if (unhandled.length > 0) why.push(`the server logged ${unhandled.length} unhandled error(s), the first: ${errorOf(unhandled[0] as string)}`);
    why.push(...(await checkAudit(this.server, calls)));
    const down = await this.watch.failuresBetween(started, Date.now());
    if (down.length > 0) why.push(`/health/live failed ${down.length} time(s): ${down[0]?.reason}`);
    return why;
  }

  /**
   * The last try: an agent call succeeds (unless `agentCall: false`) and no `claude` process
   * or workspace is left beyond what the pool accounts for. With `shutdown` (or once the
   * server has exited by itself, after a SIGTERM probe), it must exit 0 and leave none. Every
   * audit line must belong to a call, and calls no try checked yet are checked here. Saves
   * the row, and fails the test if any try did not hold.
   */
  async finish(options: { agentCall?: boolean; shutdown?: boolean; shutdownWithinMs?: number } = {}): Promise<void> {
    const stopping = options.shutdown === true || this.server.stoppingSince() !== undefined;
    await this.attempt(
      stopping ? 'afterwards (then it exits)' : 'afterwards',
      async () => {
        const problems: string[] = [];
        if (this.server.stoppingSince() === undefined) {
          if (options.agentCall !== false) await this.goodAgentCall().catch((err: unknown) => problems.push(gist(err)));
          problems.push(...(await this.beyondThePool()));
        }
        if (stopping) problems.push(...(await this.exitsClean(options.shutdownWithinMs ?? 15_000)));
        const ids = known.get(this.server.pid) ?? new Set();
        const strays = this.server.audit().filter((l) => !ids.has(l.requestId));
        if (strays.length > 0) problems.push(`${strays.length} audit line(s) of no call: ${JSON.stringify(strays[0]).slice(0, 200)}`);
        problems.push(...(await this.fileAgrees()));
        for (const c of this.calls) if (!this.checked.has(c)) this.claim(c);
        if (problems.length > 0) throw new Error(problems.join('; '));
      },
      { goodCall: !stopping && options.agentCall === false },
    );
    this.row.done();
  }

  /** audit.file holds the same lines as stdout (it is written asynchronously: within 3 s). */
  private async fileAgrees(): Promise<string[]> {
    const file = this.server.auditFile;
    if (!file) return [];
    const ids = (lines: readonly AuditLine[]) => lines.map((l) => `${l.requestId} ${l.outcome} ${l.costUsd}`).sort().join('\n');
    const agreed = await waitUntil(() => ids(auditFileLines(file)) === ids(this.server.audit()), 3000, 100);
    if (agreed) return [];
    const inFile = new Set(auditFileLines(file).map((l) => l.requestId));
    const missing = this.server.audit().filter((l) => !inFile.has(l.requestId)).length;
    return [`audit.file disagrees with stdout: ${auditFileLines(file).length} lines against ${this.server.audit().length} (${missing} missing from the file)`];
  }

  /** No claude process or workspace beyond what the pool says it keeps (within 10 s: an ended call's child takes a moment to go). */
  private async beyondThePool(): Promise<string[]> {
    let seen = { processes: 0, folders: 0, pool: 0 };
    const settled = await waitUntil(async () => {
      const metrics = await rawRequest(this.server.url, { method: 'GET', path: '/metrics', timeoutMs: 2000 });
      const pool = poolAccounted(metrics.text);
      seen = { processes: claudeProcesses(this.server.pid).length, folders: leftUnder(this.server.workspaceRoot).folders.length, pool };
      return metrics.status === 200 && seen.processes <= pool && seen.folders <= pool;
    }, 10_000, 200);
    return settled ? [] : [`left ${seen.processes} claude processes and ${seen.folders} workspaces; the pool accounts for ${seen.pool}`];
  }

  /** SIGTERM (if it still runs): exit 0 within `ms`, then no claude process and no workspace under its root. */
  private async exitsClean(ms: number): Promise<string[]> {
    const problems: string[] = [];
    const code = await this.server.terminate(ms);
    if (code !== 0) problems.push(`the server ${code === 'timeout' ? `did not exit within ${ms} ms of SIGTERM` : `exited ${code}`}`);
    let left = leftUnder(this.server.workspaceRoot);
    await waitUntil(() => {
      left = leftUnder(this.server.workspaceRoot);
      return left.processes.length === 0 && left.folders.length === 0;
    }, 5_000, 100);
    if (left.processes.length > 0 || left.folders.length > 0) problems.push(`after it exited: ${left.processes.length} claude processes and workspaces ${JSON.stringify(left.folders)} left`);
    return problems;
  }
}
