import type { IncomingHttpHeaders } from 'node:http';

/**
 * Who is calling: the identity that owns sessions (and, with API keys, limits and
 * budgets), from an HTTP request or a WebSocket upgrade. Until keys exist every caller
 * is the deployment's one default identity.
 */
export type CallerIdentity = (req: { readonly headers: IncomingHttpHeaders }) => string;

/** The identity of every caller while authentication is not configured. */
export const DEFAULT_CALLER = 'default';

/** Every request is the default caller. */
export const defaultIdentity: CallerIdentity = () => DEFAULT_CALLER;
