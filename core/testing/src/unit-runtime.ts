import { AGENT_ENGINE, createRuntime, override, parseConfig, type Override, type Runtime, type Secrets } from '@ccp/runtime';
import type { PluginDefinition } from '@ccp/plugin-api';
import { BUILTIN_PLUGINS } from '@ccp/server';
import type { DestinationStream } from 'pino';
import type { FakeEngine } from './fake-client';

/** Options for {@link unitRuntime}. */
export interface UnitRuntimeOptions {
  /** A config overlay, validated like a config file (logging defaults to silent). */
  readonly config?: Record<string, unknown>;
  /** Secrets; a test API key by default, `null` for none. */
  readonly secrets?: Secrets | null;
  readonly builtins?: readonly PluginDefinition[];
  readonly overrides?: readonly Override[];
  readonly baseDir?: string;
  /** Where log lines (audit lines included) go; set `logging.level` to see them. */
  readonly logDestination?: DestinationStream;
}

/**
 * The real runtime (composition root, call pipeline, decorators) around a fake agent
 * engine, for supertest: no `claude` process, no listener.
 */
export function unitRuntime(engine: FakeEngine, options: UnitRuntimeOptions = {}): Promise<Runtime> {
  return createRuntime({
    config: parseConfig({ logging: { level: 'silent' }, ...(options.config ?? {}) }),
    secrets: options.secrets === null ? {} : (options.secrets ?? { anthropicApiKey: 'sk-ant-unit-0000000000' }),
    builtins: options.builtins ?? BUILTIN_PLUGINS,
    baseDir: options.baseDir,
    logDestination: options.logDestination,
    overrides: [override(AGENT_ENGINE, engine), ...(options.overrides ?? [])],
  });
}
