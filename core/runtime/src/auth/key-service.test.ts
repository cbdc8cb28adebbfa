import { startTestDatabase, thrown, type TestDatabase } from '@ccp/testing';
import type { KeyChangeEntry } from '../audit/audit-log';
import { parseConfig } from '../config/load-config';
import type { Database } from '../db/database';
import { Authenticator, hashKey, UnauthenticatedError } from './api-keys';
import { KeyDirectory } from './key-directory';
import { KeyService } from './key-service';
import { KeyStore } from './key-store';

const HOUR = 3_600_000;
const fileKey = { name: 'ops', sha256: hashKey('ccp_file_key_0123456789abcdef0123456789'), roles: ['admin'] };

const refusal = (fn: () => unknown) => thrown<UnauthenticatedError>(fn);

describe('keys in the database: service, snapshot and authenticator', () => {
  let testDb: TestDatabase;
  let db: Database;
  let now: Date;
  let changes: KeyChangeEntry[];
  let directory: KeyDirectory;
  let keys: KeyService;
  let auth: Authenticator;
  const actor = { name: 'ops', requestId: 'r1' };
  const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

  beforeAll(async () => {
    testDb = await startTestDatabase();
    db = testDb.db;
  }, 60_000);

  beforeEach(async () => {
    await db.query('DELETE FROM ccp_key_secrets');
    await db.query('DELETE FROM ccp_keys');
    now = new Date('2026-12-01T12:00:00Z');
    changes = [];
    const config = parseConfig({ auth: { keys: [fileKey] } });
    const store = new KeyStore(db);
    directory = new KeyDirectory(store, 60_000);
    await directory.refresh();
    keys = new KeyService({ store, directory, fileKeys: config.auth.keys, audit: { keyChange: (e) => changes.push(e) }, now: () => now, servedPlugins: () => ['code-review', 'doc-generator'], rotationGraceSeconds: 86_400 });
    auth = new Authenticator(config.auth, directory, () => now);
  });

  afterAll(async () => {
    directory?.close();
    await testDb?.close();
  });

  it('creates a key that works at once here, stores only its hash, and shows a prefix and the last 4', async () => {
    const made = await keys.create('ci-bot', { roles: ['user'], plugins: ['code-review'], budget: { monthlyUsd: 50 } }, actor);
    expect(made.secret).toMatch(/^ccp_[A-Za-z0-9_-]{43}$/);
    expect(auth.authenticate(bearer(made.secret))).toMatchObject({ id: made.key.id, name: 'ci-bot', plugins: ['code-review'], budget: { monthlyUsd: 50 } });
    expect(made.key.secrets).toEqual([{ prefix: made.secret.slice(0, 8), last4: made.secret.slice(-4), createdAt: now.toISOString(), expiresAt: null }]);
    const everything = JSON.stringify([await db.query('SELECT * FROM ccp_keys'), await db.query('SELECT * FROM ccp_key_secrets'), await keys.list(), changes]);
    expect(everything).not.toContain(made.secret);
    expect(everything).toContain(hashKey(made.secret));
    expect(changes).toEqual([{ requestId: 'r1', action: 'key.created', keyId: made.key.id, keyName: 'ci-bot', actor: 'ops' }]);
  });

  it('lists the config file keys read-only beside the database keys', async () => {
    await keys.create('ci-bot', { roles: ['user'], plugins: ['*'] }, actor);
    const listed = await keys.list();
    expect(listed.map((k) => [k.id.replace(/^key_.*/, 'key_…'), k.source])).toEqual([['file:ops', 'file'], ['key_…', 'database']]);
    await expect(keys.revoke('file:ops', actor)).rejects.toMatchObject({ code: 'key_read_only' });
    await expect(keys.create('ops', { roles: ['user'], plugins: ['*'] }, actor)).rejects.toMatchObject({ code: 'key_name_taken' });
    await expect(keys.create('ci-bot', { roles: ['user'], plugins: ['*'] }, actor)).rejects.toMatchObject({ code: 'key_name_taken' });
    await expect(keys.create('x', { roles: ['user'], plugins: ['nope'] }, actor)).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(keys.get('key_missing')).rejects.toMatchObject({ code: 'key_not_found' });
  });

  it('rotates: old and new secrets both work through the grace period, then the old one is key_expired', async () => {
    const made = await keys.create('ci-bot', { roles: ['user'], plugins: ['*'] }, actor);
    const rotated = await keys.rotate(made.key.id, 3_600, actor);
    expect(rotated.secret).not.toBe(made.secret);
    expect(auth.authenticate(bearer(made.secret)).name).toBe('ci-bot');
    expect(auth.authenticate(bearer(rotated.secret)).name).toBe('ci-bot');
    expect(rotated.key.secrets.map((s) => s.expiresAt)).toEqual([new Date(now.getTime() + HOUR).toISOString(), null]);
    now = new Date(now.getTime() + HOUR);
    const expired = refusal(() => auth.authenticate(bearer(made.secret)));
    expect(expired).toMatchObject({ code: 'key_expired', status: 401 });
    expect(expired.challenge).toContain('error="invalid_token"');
    expect(auth.authenticate(bearer(rotated.secret)).name).toBe('ci-bot');
    expect((await keys.get(made.key.id)).secrets).toHaveLength(1);
  });

  it('rotates with the default grace of 24 hours', async () => {
    const made = await keys.create('ci-bot', { roles: ['user'], plugins: ['*'] }, actor);
    await keys.rotate(made.key.id, undefined, actor);
    now = new Date(now.getTime() + 24 * HOUR - 1);
    expect(auth.authenticate(bearer(made.secret)).name).toBe('ci-bot');
    now = new Date(now.getTime() + 1);
    expect(refusal(() => auth.authenticate(bearer(made.secret))).code).toBe('key_expired');
  });

  it('refuses a key past its expiresAt, and works again once an admin extends it', async () => {
    const made = await keys.create('ci-bot', { roles: ['user'], plugins: ['*'], expiresAt: new Date(now.getTime() - 1) }, actor);
    expect(refusal(() => auth.authenticate(bearer(made.secret))).code).toBe('key_expired');
    expect(made.key.state).toBe('expired');
    await keys.update(made.key.id, { expiresAt: null }, actor);
    expect(auth.authenticate(bearer(made.secret)).name).toBe('ci-bot');
  });

  it('revokes at once on this instance; a revoked key stays revoked', async () => {
    const made = await keys.create('ci-bot', { roles: ['user'], plugins: ['*'] }, actor);
    const revoked = await keys.revoke(made.key.id, { name: 'ops', requestId: 'r2' });
    expect(revoked.state).toBe('revoked');
    expect(refusal(() => auth.authenticate(bearer(made.secret))).code).toBe('key_revoked');
    // A caller that authenticated before the revocation (an open WebSocket, a queued job) is refused when its call runs.
    expect(refusal(() => auth.assertStillValid({ id: made.key.id, name: 'ci-bot', roles: ['user'], plugins: ['*'] })).code).toBe('key_revoked');
    expect(() => auth.assertStillValid({ id: 'file:ops', name: 'ops', roles: ['admin'], plugins: ['*'] })).not.toThrow();
    await expect(keys.rotate(made.key.id, 0, actor)).rejects.toMatchObject({ code: 'key_read_only' });
    await expect(keys.update(made.key.id, { plugins: ['*'] }, actor)).rejects.toMatchObject({ code: 'key_read_only' });
    expect(changes.map((c) => c.action)).toEqual(['key.created', 'key.revoked']);
  });

  it('changes roles, plugins and limits; the snapshot of another instance sees it on its next refresh', async () => {
    const made = await keys.create('ci-bot', { roles: ['user'], plugins: ['code-review'] }, actor);
    const other = new KeyDirectory(new KeyStore(db), 60_000);
    await other.refresh();
    const otherAuth = new Authenticator(parseConfig({}).auth, other, () => now);
    expect(otherAuth.authenticate(bearer(made.secret)).plugins).toEqual(['code-review']);
    const updated = await keys.update(made.key.id, { plugins: ['code-review', 'doc-generator'], maxConcurrent: 2, rateLimit: { limit: 10 } }, actor);
    expect(updated).toMatchObject({ plugins: ['code-review', 'doc-generator'], maxConcurrent: 2, rateLimit: { limit: 10 } });
    expect(auth.authenticate(bearer(made.secret)).plugins).toEqual(['code-review', 'doc-generator']);
    expect(otherAuth.authenticate(bearer(made.secret)).plugins).toEqual(['code-review']);
    await other.refresh();
    expect(otherAuth.authenticate(bearer(made.secret))).toMatchObject({ plugins: ['code-review', 'doc-generator'], maxConcurrent: 2 });
    await keys.revoke(made.key.id, actor);
    await other.refresh();
    expect(refusal(() => otherAuth.authenticate(bearer(made.secret))).code).toBe('key_revoked');
    expect(changes.find((c) => c.action === 'key.updated')?.fields).toEqual(['plugins', 'maxConcurrent', 'rateLimit']);
  });
});
