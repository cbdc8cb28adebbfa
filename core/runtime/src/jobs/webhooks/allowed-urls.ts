import { isIP } from 'node:net';

/** The longest webhook URL taken. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * What is wrong with an allowlist entry (`jobs.webhooks.allowedUrls`), or undefined: it must
 * be an absolute http(s) URL with a host and nothing after its path (no user, query or
 * fragment), because it is matched as scheme + host + port exactly and a path prefix.
 */
export function allowedUrlProblem(entry: string): string | undefined {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return 'must be an absolute URL such as https://hooks.example.com/ccp/';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http:// or https:// URL';
  if (!url.hostname) return 'must name a host';
  if (url.username || url.password) return 'must not hold a user or password';
  if (url.search || url.hash || entry.includes('?') || entry.includes('#')) return 'must not have a query or a fragment (entries are prefixes: scheme, host, port and the start of a path)';
  return undefined;
}

/** A URL's host without the brackets of an IPv6 literal. */
export const bareHost = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** The IP address an entry names as its host (`http://127.0.0.1:9000/`), if it names one. */
export function namedAddress(entry: URL): string | undefined {
  const host = bareHost(entry);
  return isIP(host) ? host : undefined;
}

/**
 * Whether `target` falls under `entry`: the same scheme, host and port (compared after the
 * URL parser normalised both, so `HTTPS://Hooks.Example.com:443` is `https://hooks.example.com`),
 * and a path that starts with the entry's path at a segment boundary: `/ccp` allows `/ccp`
 * and `/ccp/x`, not `/ccpx`. Comparing parsed parts, never strings, is what keeps
 * `https://hooks.example.com.evil.net/` and `https://hooks.example.com@evil.net/` out.
 */
export function underEntry(target: URL, entry: URL): boolean {
  if (target.protocol !== entry.protocol || target.host !== entry.host) return false;
  const prefix = entry.pathname;
  if (prefix.endsWith('/')) return target.pathname.startsWith(prefix);
  return target.pathname === prefix || target.pathname.startsWith(`${prefix}/`);
}
