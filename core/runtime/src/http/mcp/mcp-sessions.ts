import { randomUUID } from 'node:crypto';
import { NotFoundError, RateLimitedError, type Logger } from '@ccp/plugin-api';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Caller } from '../../auth/caller';
import type { PlatformConfig } from '../../config/schema';
import type { Lifecycle } from '../../lifecycle/lifecycle';
import { createMcpServer, type McpServerDeps, type ToolCallHost } from './mcp-server';

/** One open MCP session: its transport, whom it serves, the tool calls it is running. */
export interface McpSession {
  readonly id: string;
  readonly owner: string;
  readonly transport: StreamableHTTPServerTransport;
  /** Aborts the tool calls with these JSON-RPC ids (their HTTP request went away). */
  abort(jsonRpcIds: readonly (string | number)[]): void;
}

interface Entry extends McpSession {
  lastSeenAt: number;
  close(): Promise<void>;
}

/** What the session registry needs besides the servers' own dependencies. */
export interface McpSessionsDeps extends McpServerDeps {
  readonly lifecycle: Pick<Lifecycle, 'assertAdmitting'>;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * The MCP sessions open on this instance (Streamable HTTP in session mode: a client's
 * `notifications/cancelled` reaches the server that runs the call only within its session).
 * A session belongs to the API key that opened it: any other key naming its id gets the
 * same 404 as an unknown id. Sessions idle for `mcp.sessionIdleMs` are closed; they live in
 * this instance's memory, so behind a load balancer `/mcp` needs session affinity on the
 * `Mcp-Session-Id` header (a client whose session is gone gets 404 and starts another).
 */
export class McpSessions {
  private readonly open = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(
    private readonly deps: McpSessionsDeps,
    private readonly settings: PlatformConfig['mcp'],
  ) {
    this.now = deps.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), Math.max(1_000, Math.min(settings.sessionIdleMs, 60_000)));
    this.sweeper.unref();
  }

  /** Sessions open now. */
  get size(): number {
    return this.open.size;
  }

  /** Whether `id` names an open session of this caller (nothing is touched). */
  owns(id: string | undefined, caller: Caller): boolean {
    return id !== undefined && this.open.get(id)?.owner === caller.name;
  }

  /** The session `id` names, for this caller; 404 `mcp_session_not_found` otherwise (another key's included). */
  find(id: string, caller: Caller): McpSession {
    const entry = this.open.get(id);
    if (!entry || entry.owner !== caller.name) {
      throw new NotFoundError('mcp_session_not_found', `There is no MCP session "${id.slice(0, 64)}" for this API key (it ended, sat idle past mcp.sessionIdleMs, or was opened on another instance). Start a new one with an initialize request.`);
    }
    entry.lastSeenAt = this.now();
    return entry;
  }

  /**
   * A transport for a new session of `caller`, ready for its `initialize` request; the
   * session is registered once the transport has answered it (see {@link settle}).
   * Refused while the instance drains, and past `mcp.maxSessionsPerCaller` for the key.
   */
  async start(caller: Caller, clientIp: string | undefined): Promise<StreamableHTTPServerTransport> {
    this.deps.lifecycle.assertAdmitting();
    const held = [...this.open.values()].filter((e) => e.owner === caller.name).length;
    if (held >= this.settings.maxSessionsPerCaller) {
      throw new RateLimitedError('too_many_sessions', `API key "${caller.name}" already holds ${held} open MCP sessions on this instance (mcp.maxSessionsPerCaller is ${this.settings.maxSessionsPerCaller}). Close some with DELETE /mcp, or let them sit idle for mcp.sessionIdleMs.`);
    }
    const calls = new Map<string | number, AbortController>();
    // Declared before the server, which reaches it only while it serves a request.
    let transport: StreamableHTTPServerTransport | undefined;
    const host: ToolCallHost = {
      track: (id) => {
        const controller = new AbortController();
        calls.set(id, controller);
        return { signal: controller.signal, done: () => void (calls.get(id) === controller && calls.delete(id)) };
      },
      cancelled: (id) => transport?.closeSSEStream(id),
    };
    const server = createMcpServer(this.deps, { caller, clientIp }, host);
    const created = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        const close = async () => {
          this.open.delete(id);
          for (const c of calls.values()) c.abort();
          await server.close().catch(() => undefined);
        };
        this.open.set(id, { id, owner: caller.name, transport: created, lastSeenAt: this.now(), close, abort: (ids) => ids.forEach((i) => calls.get(i)?.abort()) });
      },
      onsessionclosed: (id) => void this.open.delete(id),
    });
    transport = created;
    created.onclose = () => {
      if (created.sessionId) this.open.delete(created.sessionId);
    };
    await server.connect(created);
    return created;
  }

  /** After a new session's first request: a transport that opened no session (the initialize failed) is closed. */
  async settle(transport: StreamableHTTPServerTransport): Promise<void> {
    if (transport.sessionId && this.open.has(transport.sessionId)) return;
    await transport.close().catch(() => undefined);
  }

  private sweep(): void {
    const cutoff = this.now() - this.settings.sessionIdleMs;
    for (const entry of [...this.open.values()]) {
      if (entry.lastSeenAt >= cutoff) continue;
      this.deps.logger.debug({ mcpSession: entry.id, key: entry.owner }, 'closing an idle MCP session');
      void entry.close();
    }
  }

  /** Closes every session (their calls are aborted; the lifecycle's drain has ended or waited for them first). */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.open.values()].map((e) => e.close()));
  }
}
