import type { ApiKeyConfig } from '../config/schema';

/** Who is calling, as the platform's guards see it. Never holds the key itself. */
export interface Caller {
  /** The key's name; `anonymous` when authentication is off. Unique across file and database keys: what owns sessions, jobs and spend. */
  readonly name: string;
  /** The key's id: `key_…` for a key in the database, `file:<name>` for one in the config file. */
  readonly id?: string;
  readonly roles: readonly ('user' | 'admin')[];
  /** Plugin ids this caller may use; `*` for all. */
  readonly plugins: readonly string[];
  readonly rateLimit?: ApiKeyConfig['rateLimit'];
  readonly maxConcurrent?: number;
  readonly budget?: ApiKeyConfig['budget'];
}

/** The caller of every request while authentication is switched off. */
export const ANONYMOUS: Caller = Object.freeze<Caller>({ name: 'anonymous', id: 'anonymous', roles: ['user', 'admin'], plugins: ['*'] });

/** Whether the caller may use a plugin. */
export function mayUse(caller: Caller, pluginId: string): boolean {
  return caller.plugins.includes('*') || caller.plugins.includes(pluginId);
}
