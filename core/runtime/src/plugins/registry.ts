import type { RegisteredPlugin } from './registered-plugin';

/** The enabled plugins, by id. Built once at boot; read-only afterwards. */
export class PluginRegistry {
  private readonly byId: ReadonlyMap<string, RegisteredPlugin>;
  /** Every plugin id the configuration knows, served or disabled. */
  readonly configured: ReadonlySet<string>;

  constructor(plugins: readonly RegisteredPlugin[], configured: readonly string[] = plugins.map((p) => p.definition.id)) {
    this.byId = new Map(plugins.map((p) => [p.definition.id, p]));
    this.configured = new Set(configured);
  }

  list(): RegisteredPlugin[] {
    return [...this.byId.values()];
  }

  get(id: string): RegisteredPlugin | undefined {
    return this.byId.get(id);
  }
}
