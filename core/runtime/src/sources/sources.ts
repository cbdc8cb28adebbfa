import type { Logger } from '@ccp/plugin-api';
import type { PlatformConfig } from '../config/schema';
import { prepareWorkspaceRoot } from '../engine/agent-sdk/process/workspace';
import type { TreeMaterialiser } from '../engine/types';
import type { Metrics } from '../metrics/metrics';
import { GitFailure, type GitRunner } from './git-runner';
import { GitTreeMaterialiser } from './materialiser';
import { Mirrors } from './mirrors';
import { schemeOf } from './repository-url';
import { SourceResolver } from './source-resolver';

/** Repository sources: the resolver the pipeline uses, the materialiser the engine uses. */
export interface RepositorySources {
  readonly resolver: SourceResolver;
  readonly materialiser: TreeMaterialiser;
  /**
   * Boot checks, only when repositories are configured: the mirror directory is private to
   * this user, git runs; a credential variable that is not set is logged (its fetches fail).
   */
  check(): Promise<void>;
}

/** Builds the repository sources of a config. */
export function createSources(config: Pick<PlatformConfig, 'repositories' | 'sources'>, git: GitRunner, env: NodeJS.ProcessEnv, logger: Logger, metrics?: Metrics): RepositorySources {
  const mirrors = new Mirrors(git, config.sources, env, logger, metrics);
  return {
    resolver: new SourceResolver(config.repositories, config.sources, mirrors, git),
    materialiser: new GitTreeMaterialiser(git, config.sources.fetchTimeoutMs, logger, metrics),
    check: async () => {
      if (config.repositories.length === 0) return;
      await prepareWorkspaceRoot(config.sources.mirrorDir, 'sources.mirrorDir');
      try {
        await git.run({ args: ['version'], timeoutMs: 10_000 });
      } catch (err) {
        throw new Error(`repositories are configured, but git cannot be run: ${err instanceof GitFailure ? err.stderr || err.message : String(err)}. Install git (apt-get install git) or remove the repositories.`);
      }
      for (const repo of config.repositories) {
        const c = repo.credentials;
        if (!c) continue;
        const unset = [c.tokenEnv, c.usernameEnv].filter((name): name is string => name !== undefined && !env[name]);
        if (unset.length > 0) logger.warn({ repository: repo.name }, `repositories: ${repo.name} names ${unset.join(' and ')} for its credentials, which ${unset.length > 1 ? 'are' : 'is'} not set; its fetches will be refused by the host`);
        if (schemeOf(repo.url) !== 'https') logger.warn({ repository: repo.name }, `repositories: ${repo.name} has credentials but a ${schemeOf(repo.url)} url; they are used for https only (ssh uses the host's keys and agent)`);
      }
    },
  };
}
