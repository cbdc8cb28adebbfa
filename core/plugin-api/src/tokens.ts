/**
 * A typed DI token: a unique symbol that carries the type of what it resolves to,
 * so `resolve(CLAUDE_CLIENT)` is a `ClaudeClient` without a cast at the call site.
 */
export type Token<T> = symbol & { readonly __type?: T };

/** Creates a typed token; the description shows in boot errors. */
export function token<T>(description: string): Token<T> {
  return Symbol(description) as Token<T>;
}

/** Minimal structured logger every service receives (pino satisfies it). */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** The platform logger. */
export const LOGGER = token<Logger>('Logger');
