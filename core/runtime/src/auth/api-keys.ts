import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { NotAllowedError } from '@ccp/plugin-api';
import type { PlatformConfig } from '../config/schema';
import { ANONYMOUS, type Caller } from './caller';
import { keyState, type KeyDirectory } from './key-directory';
import type { StoredKey } from './key-store';

/** The realm in `WWW-Authenticate`. */
export const REALM = 'claude-code-platform';

export { generateKey, hashKey } from './key-secret';

/** A 401 that says how to authenticate; `invalid` adds RFC 6750's `error="invalid_token"`. */
export class UnauthenticatedError extends NotAllowedError {
  constructor(
    detail: string,
    readonly invalid: boolean,
    code: 'unauthenticated' | 'key_expired' | 'key_revoked' = 'unauthenticated',
  ) {
    super(code, detail);
  }

  /** The `WWW-Authenticate` header value. */
  get challenge(): string {
    return `Bearer realm="${REALM}"${this.invalid ? ', error="invalid_token"' : ''}`;
  }
}

/** Throws the 401 of a key that is revoked or past its expiry. */
function refuseEnded(key: Pick<StoredKey, 'name' | 'expiresAt'>, state: 'active' | 'expired' | 'revoked'): void {
  if (state === 'revoked') throw new UnauthenticatedError(`The API key "${key.name}" was revoked. Ask an operator for a new one.`, true, 'key_revoked');
  if (state === 'expired') throw new UnauthenticatedError(`The API key "${key.name}" expired at ${key.expiresAt?.toISOString()}. Ask an operator to extend it (PATCH expiresAt) or for a new one.`, true, 'key_expired');
}

/** The caller a key of the config file authenticates as (its id is `file:<name>`). */
export function fileKeyCaller(k: PlatformConfig['auth']['keys'][number]): Caller {
  return { id: `file:${k.name}`, name: k.name, roles: k.roles, plugins: k.plugins, rateLimit: k.rateLimit, maxConcurrent: k.maxConcurrent, budget: k.budget };
}

/**
 * Turns `Authorization: Bearer <key>` into a {@link Caller}, synchronously: no database
 * round trip on the request path. Keys of the config file are SHA-256 hashes compared with
 * the presented key's hash in constant time, so neither the comparison nor the loop reveals
 * how close a guess was. Keys of the database are found by their hash in the
 * {@link KeyDirectory} snapshot (a lookup by a SHA-256 of a secret reveals nothing about the
 * secret) and refused once revoked (`key_revoked`), past their `expiresAt`, or, for a secret
 * rotated away, past its grace period (`key_expired`), by the platform's clock.
 */
export class Authenticator {
  private readonly keys: readonly { hash: Buffer; caller: Caller }[];

  constructor(
    private readonly auth: PlatformConfig['auth'],
    private readonly directory?: Pick<KeyDirectory, 'lookup' | 'get'>,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.keys = auth.keys.map((k) => ({ hash: Buffer.from(k.sha256, 'hex'), caller: fileKeyCaller(k) }));
  }

  get enabled(): boolean {
    return this.auth.enabled;
  }

  /** The caller, or a 401 {@link UnauthenticatedError}. */
  authenticate(headers: IncomingHttpHeaders): Caller {
    if (!this.auth.enabled) return ANONYMOUS;
    const header = headers.authorization;
    const match = typeof header === 'string' ? /^Bearer[ ]+([^\s]+)\s*$/i.exec(header) : null;
    if (!match?.[1]) {
      throw new UnauthenticatedError('Send an API key as `Authorization: Bearer <key>`. An operator creates keys with `npm run keys -- create --name <name>`.', false);
    }
    const presented = createHash('sha256').update(match[1], 'utf8').digest();
    let found: Caller | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(presented, key.hash)) found = key.caller;
    }
    if (found) return found;
    const entry = this.directory?.lookup(presented.toString('hex'));
    if (!entry) throw new UnauthenticatedError('The API key is not valid. Check it, or ask an operator for a new one.', true);
    const now = this.now();
    const state = keyState(entry.key, now);
    refuseEnded(entry.key, state);
    if (entry.secret.expiresAt && entry.secret.expiresAt.getTime() <= now.getTime()) {
      throw new UnauthenticatedError(`This secret of the API key "${entry.key.name}" was rotated, and its grace period ended at ${entry.secret.expiresAt.toISOString()}. Use the key's new secret.`, true, 'key_expired');
    }
    return entry.caller;
  }

  /**
   * Throws the 401 of a database key that was revoked or expired after the caller
   * authenticated: a call that runs later than its request (a queued job, a message on an
   * open WebSocket, a session turn) is refused as its request would be now.
   */
  assertStillValid(caller: Caller): void {
    const key = caller.id?.startsWith('key_') ? this.directory?.get(caller.id) : undefined;
    if (key) refuseEnded(key, keyState(key, this.now()));
  }
}
