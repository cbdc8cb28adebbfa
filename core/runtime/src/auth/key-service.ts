import { ConflictError, InputError, NotFoundError, PlatformError, UnavailableError, type Logger } from '@ccp/plugin-api';
import type { AuditLog, KeyChangeEntry } from '../audit/audit-log';
import type { PlatformConfig } from '../config/schema';
import { keyState, type KeyDirectory } from './key-directory';
import type { IssuedKey, KeyBudget, KeySettings, KeyStore, StoredKey } from './key-store';

/** A key as the admin API shows it: never a secret, only what recognises one. */
export interface KeyView {
  readonly id: string;
  readonly name: string;
  /** `database`: made at run time, may change; `file`: from `auth.keys`, read-only. */
  readonly source: 'database' | 'file';
  readonly state: 'active' | 'expired' | 'revoked';
  readonly roles: readonly string[];
  readonly plugins: readonly string[];
  readonly rateLimit: { readonly limit: number } | null;
  readonly maxConcurrent: number | null;
  readonly budget: KeyBudget | null;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
  readonly createdBy: string | null;
  /** Each secret that still works or is in its grace period: `ccp_` and 4 characters, the last 4, and when it stops. */
  readonly secrets: readonly { readonly prefix: string; readonly last4: string; readonly createdAt: string; readonly expiresAt: string | null }[];
  /** Plugin ids the key names that are not served (any more). */
  readonly unknownPlugins: readonly string[];
}

/** What {@link KeyService} is built from. */
export interface KeyServiceDeps {
  /** The database's keys; absent when the platform runs without a database (changes are then 503 database_unavailable). */
  readonly store?: KeyStore;
  /** This instance's snapshot: a change is applied to it at once. */
  readonly directory?: Pick<KeyDirectory, 'apply'>;
  readonly fileKeys: PlatformConfig['auth']['keys'];
  readonly audit?: Pick<AuditLog, 'keyChange'>;
  readonly logger?: Logger;
  readonly now: () => Date;
  /** The plugin ids served now; absent (`npm run keys`, which builds no plugin), plugin ids are not checked. */
  readonly servedPlugins?: () => readonly string[];
  readonly rotationGraceSeconds: number;
}

/** Who asks for a change: the acting key's name and the request id, for the audit line. */
export interface Actor {
  readonly name: string;
  readonly requestId: string;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A database failure as the typed 503; a platform error passes unchanged. */
async function db<T>(work: Promise<T>, logger?: Logger): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof PlatformError) throw err;
    logger?.warn({ err }, 'a database query for API keys failed');
    throw new UnavailableError('database_unavailable', 'The database of API keys did not answer; nothing was changed. Retry shortly; an operator should check DATABASE_URL (or the embedded database) and /health/ready.', { retryAfterSeconds: 5 });
  }
}

const NO_DATABASE =
  'This platform runs without a database (database.enabled: false, or no database.embeddedDir and no DATABASE_URL), so its keys are the config file\'s (auth.keys) alone. ' +
  'Set DATABASE_URL, or database.embeddedDir, to manage keys at run time.';

/**
 * Managing API keys at run time: the admin API and `npm run keys` both come here. Keys of
 * the config file are listed read-only beside the database's, and names are unique across
 * both (a name owns sessions, jobs and spend). Every change is applied to this instance's
 * snapshot at once (a revoked key is refused on the very next request here) and written as
 * an audit line naming the acting key.
 */
export class KeyService {
  constructor(private readonly deps: KeyServiceDeps) {}

  private get store(): KeyStore {
    if (!this.deps.store) throw new UnavailableError('database_unavailable', NO_DATABASE);
    return this.deps.store;
  }

  /** Plugin ids of a list that are not served now (none when the service cannot tell). */
  private unknown(plugins: readonly string[]): string[] {
    if (!this.deps.servedPlugins) return [];
    const served = new Set(this.deps.servedPlugins());
    return plugins.filter((p) => p !== '*' && !served.has(p));
  }

  private view(k: StoredKey): KeyView {
    const now = this.deps.now().getTime();
    return {
      id: k.id,
      name: k.name,
      source: 'database',
      state: keyState(k, this.deps.now()),
      roles: k.roles,
      plugins: k.plugins,
      rateLimit: k.rateLimit,
      maxConcurrent: k.maxConcurrent,
      budget: k.budget,
      expiresAt: iso(k.expiresAt),
      revokedAt: iso(k.revokedAt),
      createdAt: iso(k.createdAt),
      updatedAt: iso(k.updatedAt),
      createdBy: k.createdBy,
      secrets: k.secrets.filter((s) => !s.expiresAt || s.expiresAt.getTime() > now).map((s) => ({ prefix: s.prefix, last4: s.last4, createdAt: s.createdAt.toISOString(), expiresAt: iso(s.expiresAt) })),
      unknownPlugins: this.unknown(k.plugins),
    };
  }

  private fileView(k: PlatformConfig['auth']['keys'][number]): KeyView {
    return {
      id: `file:${k.name}`, name: k.name, source: 'file', state: 'active', roles: k.roles, plugins: k.plugins,
      rateLimit: k.rateLimit ?? null, maxConcurrent: k.maxConcurrent ?? null, budget: k.budget ?? null,
      expiresAt: null, revokedAt: null, createdAt: null, updatedAt: null, createdBy: null, secrets: [],
      unknownPlugins: this.unknown(k.plugins),
    };
  }

  /** Every key: the config file's first, then the database's, oldest first. */
  async list(): Promise<KeyView[]> {
    const stored = this.deps.store ? await db(this.deps.store.changedSince(0), this.deps.logger) : [];
    return [...this.deps.fileKeys.map((k) => this.fileView(k)), ...stored.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).map((k) => this.view(k))];
  }

  async get(id: string): Promise<KeyView> {
    const file = this.deps.fileKeys.find((k) => `file:${k.name}` === id);
    if (file) return this.fileView(file);
    return this.view(await this.stored(id));
  }

  /** Keys in the database that name plugins not served now (reported at boot). */
  async unknownPlugins(): Promise<{ name: string; plugins: readonly string[] }[]> {
    const views = await this.list();
    return views.filter((v) => v.source === 'database' && v.state !== 'revoked' && v.unknownPlugins.length > 0).map((v) => ({ name: v.name, plugins: v.unknownPlugins }));
  }

  private async stored(id: string): Promise<StoredKey> {
    if (id.startsWith('file:') && this.deps.fileKeys.some((k) => `file:${k.name}` === id)) {
      throw new ConflictError('key_read_only', `The key "${id.slice(5)}" comes from the config file (auth.keys): change it there and reload (SIGHUP).`);
    }
    const key = await db(this.store.get(id), this.deps.logger);
    if (!key) throw new NotFoundError('key_not_found', `No API key has the id "${id}". GET /v1/admin/keys lists them.`);
    return key;
  }

  private async modifiable(id: string): Promise<StoredKey> {
    const key = await this.stored(id);
    if (key.revokedAt) throw new ConflictError('key_read_only', `The key "${key.name}" was revoked at ${key.revokedAt.toISOString()} and stays revoked. Create a new key instead.`);
    return key;
  }

  private checkPlugins(plugins: readonly string[] | undefined, budget?: KeyBudget | null): void {
    const unknown = this.unknown([...(plugins ?? []), ...Object.keys(budget?.plugins ?? {})]);
    if (unknown.length > 0) throw new InputError('invalid_input', `No plugin is served as ${unknown.map((p) => `"${p}"`).join(', ')}. GET /v1/plugins lists them.`, { errors: [{ field: 'plugins', message: `unknown: ${unknown.join(', ')}` }] });
  }

  private changed(key: StoredKey, action: KeyChangeEntry['action'], actor: Actor, fields?: readonly string[]): void {
    this.deps.directory?.apply([key]);
    this.deps.audit?.keyChange({ requestId: actor.requestId, action, keyId: key.id, keyName: key.name, actor: actor.name, ...(fields ? { fields } : {}) });
  }

  /** Makes a key; its secret is in the answer and nowhere else, ever. */
  async create(name: string, settings: KeySettings, actor: Actor): Promise<{ key: KeyView; secret: string }> {
    this.checkPlugins(settings.plugins, settings.budget);
    if (this.deps.fileKeys.some((k) => k.name === name)) throw new ConflictError('key_name_taken', `A key of the config file is named "${name}". Choose another name.`);
    const issued = await db(this.store.create(name, settings, actor.name, this.deps.now()), this.deps.logger);
    if (!issued) throw new ConflictError('key_name_taken', `An API key named "${name}" exists already (revoked keys keep their names). Choose another name, or rotate that key.`);
    this.changed(issued.key, 'key.created', actor);
    return this.issued(issued);
  }

  private issued(issued: IssuedKey): { key: KeyView; secret: string } {
    return { key: this.view(issued.key), secret: issued.secret };
  }

  /** Changes roles, plugins, limits, budget or expiry (`null` clears one). */
  async update(id: string, patch: Partial<KeySettings>, actor: Actor): Promise<KeyView> {
    await this.modifiable(id);
    this.checkPlugins(patch.plugins, patch.budget);
    const key = await db(this.store.update(id, patch, this.deps.now()), this.deps.logger);
    if (!key) throw new NotFoundError('key_not_found', `No API key has the id "${id}".`);
    this.changed(key, 'key.updated', actor, Object.keys(patch));
    return this.view(key);
  }

  /** Issues a new secret; the others keep working for `graceSeconds` (database.rotationGraceSeconds by default). */
  async rotate(id: string, graceSeconds: number | undefined, actor: Actor): Promise<{ key: KeyView; secret: string }> {
    await this.modifiable(id);
    const now = this.deps.now();
    const graceEndsAt = new Date(now.getTime() + (graceSeconds ?? this.deps.rotationGraceSeconds) * 1000);
    const issued = await db(this.store.rotate(id, graceEndsAt, now), this.deps.logger);
    if (!issued) throw new NotFoundError('key_not_found', `No API key has the id "${id}".`);
    this.changed(issued.key, 'key.rotated', actor);
    return this.issued(issued);
  }

  /** Revokes a key at once: refused on this instance's next request, on the others within the refresh interval. */
  async revoke(id: string, actor: Actor): Promise<KeyView> {
    await this.stored(id);
    const key = await db(this.store.revoke(id, this.deps.now()), this.deps.logger);
    if (!key) throw new NotFoundError('key_not_found', `No API key has the id "${id}".`);
    this.changed(key, 'key.revoked', actor);
    return this.view(key);
  }
}
