import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { NotAllowedError } from '@ccp/plugin-api';
import type { PlatformConfig } from '../config/schema';
import { ANONYMOUS, type Caller } from './caller';

/** The realm in `WWW-Authenticate`. */
export const REALM = 'claude-code-platform';

/** Hex SHA-256 of a key: what the config holds instead of the key. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new random key: `ccp_` and 32 random bytes, base64url. */
export function generateKey(): string {
  return `ccp_${randomBytes(32).toString('base64url')}`;
}

/** A 401 that says how to authenticate; `invalid` adds RFC 6750's `error="invalid_token"`. */
export class UnauthenticatedError extends NotAllowedError {
  constructor(
    detail: string,
    readonly invalid: boolean,
  ) {
    super('unauthenticated', detail);
  }

  /** The `WWW-Authenticate` header value. */
  get challenge(): string {
    return `Bearer realm="${REALM}"${this.invalid ? ', error="invalid_token"' : ''}`;
  }
}

/**
 * Turns `Authorization: Bearer <key>` into a {@link Caller}. Keys are configured as
 * SHA-256 hashes; the presented key's hash is compared with every configured hash in
 * constant time, so neither the comparison nor the loop reveals how close a guess was.
 */
export class Authenticator {
  private readonly keys: readonly { hash: Buffer; caller: Caller }[];

  constructor(private readonly auth: PlatformConfig['auth']) {
    this.keys = auth.keys.map((k) => ({
      hash: Buffer.from(k.sha256, 'hex'),
      caller: { name: k.name, roles: k.roles, plugins: k.plugins, rateLimit: k.rateLimit, maxConcurrent: k.maxConcurrent, budget: k.budget },
    }));
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
    if (!found) throw new UnauthenticatedError('The API key is not valid. Check it, or ask an operator for a new one.', true);
    return found;
  }
}
