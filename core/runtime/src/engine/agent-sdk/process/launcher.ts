import type { Logger } from '@ccp/plugin-api';
import type { SDKMessage, SessionStore, SpareProcess } from '@anthropic-ai/claude-agent-sdk';
import type { Metrics } from '../../../metrics/metrics';
import type { ClaudeRequest } from '../../types';
import { Inbox, LiveQuery } from '../pool/live-query';
import type { AgentSdk } from '../sdk';
import { definedToolServers, type DefinedToolObserver } from '../tools/defined-tools';
import type { ExternalToolset } from '../tools/external-servers';
import { ClaudeProcess } from './child-process';
import { workspaceGuard } from './permission-guard';
import { buildQueryOptions, workspaceHost } from './query-options';
import { StartGate } from './start-gate';
import { createWorkspace, type TreeCheckout, type Workspace } from './workspace';
import type { TreeMaterialiser } from '../../types';

/** What the launcher needs: the SDK, the child's environment and where workspaces go. */
export interface LauncherSettings {
  readonly sdk: AgentSdk;
  readonly env: Record<string, string>;
  readonly workspaceRoot: string;
  readonly executable?: string;
  /** Transcript store for session turns. */
  readonly sessionStore?: SessionStore;
  readonly metrics?: Metrics;
  /** Processes starting at once (CPU-bound); unlimited when absent. */
  readonly gate?: StartGate;
  /** Checks out a request's repository tree (an operation's `source`) into its workspace. */
  readonly materialiser?: TreeMaterialiser;
  /** The logger a plugin's defined tools log through (silent when absent). */
  readonly logger?: Logger;
  /** Told of every call of a plugin's defined tool (audit and metrics). */
  readonly toolObserver?: DefinedToolObserver;
  /** The operator-configured MCP servers of each plugin, checked at boot. */
  readonly externalTools?: ReadonlyMap<string, ExternalToolset>;
}

const SILENT: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, child: () => SILENT };

/** A one-off query: its messages, workspace and process. */
export interface OneOffQuery {
  readonly messages: AsyncIterable<SDKMessage>;
  readonly workspace: Workspace;
  readonly process: ClaudeProcess;
}

/** A parked `claude` process, fixed at prewarm for one plugin operation, claimed once. */
export interface Spare {
  readonly sdk: SpareProcess;
  readonly process: ClaudeProcess;
  readonly abortController: AbortController;
  /** Points the spare's permission guard at the workspace it is claimed for. */
  bind(workspace: string): void;
  /** Ends the process and removes its directories. */
  discard(): Promise<void>;
}

/**
 * Starts every `claude` process the agent engine runs: one-off queries, live processes
 * for the pool (new, or claimed from a spare) and parked spares. Each gets its own
 * workspace and CLAUDE_CONFIG_DIR, the allowlisted environment, and a ClaudeProcess the
 * owner can end.
 */
export class ProcessLauncher {
  constructor(private readonly settings: LauncherSettings) {}

  /** How a request's repository tree, if it has one, gets into its workspace. */
  checkoutOf(request: ClaudeRequest): TreeCheckout | undefined {
    if (!request.tree) return undefined;
    if (!this.settings.materialiser) throw new Error('a request names a repository tree, but no tree materialiser is configured');
    return { tree: request.tree, materialiser: this.settings.materialiser };
  }

  /** A one-off query in a fresh workspace (a session's turns share one named after it). */
  async oneOff(request: ClaudeRequest, abortController: AbortController): Promise<OneOffQuery> {
    const started = await this.enter(abortController.signal);
    let workspace: Workspace | undefined;
    try {
      workspace = await createWorkspace(this.settings.workspaceRoot, request.files, request.session ? `s-${request.session.id}` : undefined, this.checkoutOf(request));
      const process = new ClaudeProcess();
      this.settings.metrics?.spawns.inc({ kind: 'cold' });
      const host = this.withExternal(request, workspaceHost(workspace, this.settings, abortController, process, this.settings.sessionStore));
      const mcpServers = definedToolServers(this.settings.sdk.mcp, request, workspace.dir, abortController.signal, this.settings.logger ?? SILENT, this.settings.toolObserver);
      const query = this.settings.sdk.query({ prompt: request.prompt, options: buildQueryOptions(request, mcpServers ? { ...host, mcpServers } : host) });
      return { messages: StartGate.until(query, started), workspace, process };
    } catch (err) {
      started();
      await workspace?.remove().catch(() => undefined);
      throw err;
    }
  }

  /** The host settings with the plugin's external MCP servers, when it has any (the same for every process of the plugin, so spares may hold them). */
  private withExternal<H extends { externalTools?: ExternalToolset }>(request: ClaudeRequest, host: H): H {
    const external = this.settings.externalTools?.get(request.pluginId);
    return external ? { ...host, externalTools: external } : host;
  }

  /** A start slot (see StartGate); the returned function frees it. */
  private enter(signal?: AbortSignal): Promise<() => void> {
    return this.settings.gate ? this.settings.gate.enter(signal) : Promise.resolve(() => undefined);
  }

  /** A new process in streaming-input mode, bound to `key`, with the call's files in its folder. */
  async live(request: ClaudeRequest, key: string, signal?: AbortSignal): Promise<LiveQuery> {
    const started = await this.enter(signal);
    let workspace: Workspace | undefined;
    try {
      workspace = await createWorkspace(this.settings.workspaceRoot, request.files, undefined, this.checkoutOf(request));
      const inbox = new Inbox();
      const process = new ClaudeProcess();
      const abortController = new AbortController();
      this.settings.metrics?.spawns.inc({ kind: 'cold' });
      const query = this.settings.sdk.query({ prompt: inbox, options: buildQueryOptions(request, this.withExternal(request, workspaceHost(workspace, this.settings, abortController, process))) });
      return new LiveQuery(key, inbox, process, abortController, workspace).attach(StartGate.until(query, started));
    } catch (err) {
      started();
      await workspace?.remove().catch(() => undefined);
      throw err;
    }
  }

  /** Claims a parked spare for `key`: it moves into a workspace holding the call's files. */
  async claim(spare: Spare, request: ClaudeRequest, key: string): Promise<LiveQuery> {
    const workspace = await createWorkspace(this.settings.workspaceRoot, request.files, undefined, this.checkoutOf(request));
    spare.bind(workspace.dir);
    const inbox = new Inbox();
    const live = new LiveQuery(key, inbox, spare.process, spare.abortController, workspace, () => spare.discard());
    return live.attach(spare.sdk.claim({ prompt: inbox, options: { cwd: workspace.dir } }));
  }

  /** A spare for `template`'s plugin operation, parked in an empty workspace of its own. */
  async spare(template: ClaudeRequest): Promise<Spare> {
    const parking = await createWorkspace(this.settings.workspaceRoot, []);
    const process = new ClaudeProcess();
    const abortController = new AbortController();
    let root = parking.dir;
    const options = buildQueryOptions(template, this.withExternal(template, workspaceHost(parking, this.settings, abortController, process)));
    // The guard is fixed at prewarm; its root moves to the workspace at claim.
    options.canUseTool = (name, input, opts) => workspaceGuard(root, template.tools.allow)(name, input, opts);
    const discard = async () => {
      abortController.abort();
      process.terminate();
      await process.ensureExited(1_000);
      await parking.remove().catch(() => undefined);
    };
    const started = await this.enter();
    try {
      this.settings.metrics?.spawns.inc({ kind: 'spare' });
      const sdk = await this.settings.sdk.prewarm({ options, initializeTimeoutMs: 30_000 });
      return { sdk, process, abortController, bind: (w) => void (root = w), discard };
    } catch (err) {
      await discard();
      throw err;
    } finally {
      started(); // prewarm resolves once the spare has initialised
    }
  }
}
