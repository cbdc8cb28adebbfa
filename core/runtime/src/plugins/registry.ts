import type { RegisteredPlugin } from './registered-plugin';

/** The enabled plugins, by id. Built once at boot; read-only afterwards. */
export class PluginRegistry {
  private readonly byId: ReadonlyMap<string, RegisteredPlugin>;

  constructor(plugins: readonly RegisteredPlugin[]) {
    this.byId = new Map(plugins.map((p) => [p.definition.id, p]));
  }

  list(): RegisteredPlugin[] {
    return [...this.byId.values()];
  }

  get(id: string): RegisteredPlugin | undefined {
    return this.byId.get(id);
  }
}
