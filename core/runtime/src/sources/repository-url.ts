/** The transports a configured repository may use; git is allowed exactly its own one. */
export type RepositoryScheme = 'https' | 'ssh' | 'file';

/** `user@host:path`, git's scp-like form of an ssh URL (a user is required, so `C:\x` or `a:b` never matches). */
const SCP_LIKE = /^[A-Za-z0-9._~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?:(?!\/\/)\S+$/;

/** The scheme of a URL that passed {@link repositoryUrlProblem}. */
export function schemeOf(url: string): RepositoryScheme {
  if (SCP_LIKE.test(url)) return 'ssh';
  return new URL(url).protocol.slice(0, -1) as RepositoryScheme;
}

/**
 * Why `url` cannot be a configured repository's URL, or undefined. Accepted: `https://host/path`,
 * `ssh://[user@]host[:port]/path`, `user@host:path` and `file:///absolute/path`. Refused: any
 * other scheme (plain `http`, `git://`, `ext::`), credentials in the URL (they would be stored
 * in the mirror's config and shown in logs: name environment variables in `credentials`
 * instead), a host that starts with `-` (git would pass it to ssh as an option), whitespace and
 * control characters.
 */
export function repositoryUrlProblem(url: string): string | undefined {
  if (/[\s\p{Cc}]/u.test(url)) return 'must not contain whitespace or control characters';
  if (url.startsWith('-')) return 'must not start with "-"';
  if (SCP_LIKE.test(url)) return url.slice(url.indexOf('@') + 1).startsWith('-') ? 'the host must not start with "-"' : undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an https://, ssh:// or file:/// URL, or user@host:path';
  }
  const scheme = parsed.protocol.slice(0, -1);
  if (scheme === 'http') return 'must use https, not http';
  if (scheme !== 'https' && scheme !== 'ssh' && scheme !== 'file') return `scheme "${scheme}" is not allowed (https, ssh or file)`;
  if (parsed.password || (scheme === 'https' && parsed.username)) return 'must not carry credentials: name the environment variables that hold them in credentials.usernameEnv / credentials.tokenEnv';
  if (scheme === 'file') return parsed.host !== '' ? 'a file URL must be file:///absolute/path (no host)' : parsed.pathname.length > 1 ? undefined : 'must name a directory';
  if (!parsed.hostname || parsed.hostname.startsWith('-')) return 'must name a host that does not start with "-"';
  if (parsed.search || parsed.hash) return 'must not have a query or fragment';
  return undefined;
}
