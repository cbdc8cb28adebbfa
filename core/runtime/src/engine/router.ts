import { ClaudeError, DEFAULT_ENGINE, type ClaudeEvent, type ClaudeRequest, type Engine } from './types';

/**
 * Picks the engine a call's plugin declares (`agent` when it names none). Engines are
 * registered by name in the composition root: adding one is a folder and one line there.
 */
export class EngineRouter implements Engine {
  private readonly engines: ReadonlyMap<string, Engine>;

  constructor(engines: Readonly<Record<string, Engine>>) {
    this.engines = new Map(Object.entries(engines));
  }

  /** The registered engine names. */
  get names(): string[] {
    return [...this.engines.keys()];
  }

  /** One problem per plugin whose engine is not registered; empty when all are served. */
  missing(plugins: readonly { readonly id: string; readonly engine?: string }[]): string[] {
    return plugins
      .filter((p) => !this.engines.has(p.engine ?? DEFAULT_ENGINE))
      .map((p) => `plugins.${p.id}: engine "${p.engine ?? DEFAULT_ENGINE}" is not available (available: ${this.names.join(', ')})`);
  }

  run(request: ClaudeRequest): AsyncIterable<ClaudeEvent> {
    const engine = this.engines.get(request.engine ?? DEFAULT_ENGINE);
    if (!engine) throw new ClaudeError('bad_request', `no engine "${request.engine}" is registered`);
    return engine.run(request);
  }
}
