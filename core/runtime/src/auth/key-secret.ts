import { createHash, randomBytes } from 'node:crypto';

/** Hex SHA-256 of a key: what the config and the database hold instead of the key. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new random key: `ccp_` and 32 random bytes, base64url (43 URL-safe characters). */
export function generateKey(): string {
  return `ccp_${randomBytes(32).toString('base64url')}`;
}
