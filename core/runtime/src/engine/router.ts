import { ClaudeError, DEFAULT_ENGINE, type ClaudeEvent, type ClaudeRequest, type Engine } from './types';

/** What the router checks of a plugin. */
export interface CheckedPlugin {
  readonly id: string;
  readonly engine?: string;
  readonly tools: { readonly allow: readonly string[] };
  readonly operations: ReadonlyMap<string, { readonly inputSchema: Record<string, unknown> }>;
}

/**
 * Picks the engine a call's plugin declares (`agent` when it names none). Engines are
 * registered by name in the composition root: adding one is a folder and one line there.
 */
export class EngineRouter implements Engine {
  private readonly engines: ReadonlyMap<string, Engine>;

  constructor(
    engines: Readonly<Record<string, Engine>>,
    /** Per engine: why a plugin cannot run on it (e.g. it declares tools the engine cannot run). */
    private readonly checks: Readonly<Record<string, (plugin: CheckedPlugin) => string[]>> = {},
  ) {
    this.engines = new Map(Object.entries(engines));
  }

  /** The registered engine names. */
  get names(): string[] {
    return [...this.engines.keys()];
  }

  /** Every problem with the plugins' engines (not registered, or unable to run the plugin); empty when all are served. */
  missing(plugins: readonly CheckedPlugin[]): string[] {
    return plugins.flatMap((p) => {
      const name = p.engine ?? DEFAULT_ENGINE;
      if (!this.engines.has(name)) return [`plugins.${p.id}: engine "${name}" is not available (available: ${this.names.join(', ')})`];
      return this.checks[name]?.(p) ?? [];
    });
  }

  run(request: ClaudeRequest): AsyncIterable<ClaudeEvent> {
    const engine = this.engines.get(request.engine ?? DEFAULT_ENGINE);
    if (!engine) throw new ClaudeError('bad_request', `no engine "${request.engine}" is registered`);
    return engine.run(request);
  }
}
