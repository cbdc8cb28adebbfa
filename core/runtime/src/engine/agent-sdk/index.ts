import type { Logger } from '@ccp/plugin-api';
import type { SessionStore } from '@anthropic-ai/claude-agent-sdk';
import type { PlatformConfig, Secrets } from '../../config/schema';
import type { Capacity } from '../../limits/capacity';
import type { Metrics } from '../../metrics/metrics';
import { AgentEngine } from './agent-engine';
import { buildChildEnv } from './process/child-env';
import { ProcessLauncher } from './process/launcher';
import { RssSampler } from './process/rss-sampler';
import { StartGate } from './process/start-gate';
import { prepareWorkspaceRoot } from './process/workspace';
import { LivePool } from './pool/live-pool';
import { OneOffSource, PooledSource } from './pool/process-source';
import type { AgentSdk } from './sdk';
import type { TreeMaterialiser } from '../types';
import type { DefinedToolObserver } from './tools/defined-tools';
import type { ExternalToolset } from './tools/external-servers';

export { AgentEngine } from './agent-engine';
export { loadSdk, type AgentSdk, type PrewarmFn, type QueryFn } from './sdk';

/** What the agent engine is built from. */
export interface AgentEngineDeps {
  readonly sdk: AgentSdk;
  readonly config: Pick<PlatformConfig, 'claude' | 'pool'>;
  readonly secrets: Secrets;
  /** The environment the `claude` child's allowlist is picked from. */
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly sessionStore?: SessionStore;
  /** The instance's derived limits (processes starting at once, processes the pool may keep). */
  readonly capacity: Pick<Capacity, 'starting' | 'poolProcesses'>;
  /** Checks out an operation's repository source into its workspace. */
  readonly materialiser?: TreeMaterialiser;
  /** Told of every call of a plugin's defined tool (audit and metrics). */
  readonly toolObserver?: DefinedToolObserver;
  /** The operator-configured MCP servers of each plugin, checked at boot. */
  readonly externalTools?: ReadonlyMap<string, ExternalToolset>;
}

/**
 * The Agent SDK engine: the real `claude` CLI, one-off or from the warm pool when
 * `pool.enabled`. Its `close()` ends every process it started or keeps.
 */
export async function createAgentEngine(deps: AgentEngineDeps): Promise<AgentEngine> {
  const { config, logger, metrics } = deps;
  await prepareWorkspaceRoot(config.claude.workspaceRoot);
  const env = buildChildEnv(deps.env, deps.secrets, config.claude);
  const gate = new StartGate(deps.capacity.starting, metrics);
  const launcher = new ProcessLauncher({ sdk: deps.sdk, env, workspaceRoot: config.claude.workspaceRoot, executable: config.claude.executable, sessionStore: deps.sessionStore, metrics, gate, materialiser: deps.materialiser, logger, toolObserver: deps.toolObserver, externalTools: deps.externalTools });
  const oneOff = new OneOffSource(launcher, logger);
  const pool = { ...config.pool, maxProcesses: deps.capacity.poolProcesses };
  const source = config.pool.enabled ? new PooledSource(new LivePool(pool, { launcher, logger, metrics }), oneOff) : oneOff;
  const rss = new RssSampler(config.claude.workspaceRoot, metrics);
  return new AgentEngine({ source, oneOff, env, logger, metrics, onClose: () => rss.close() });
}
