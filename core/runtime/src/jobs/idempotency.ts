import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so the same content always gives the same text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The hash an Idempotency-Key is bound to: what the job would run, whichever route submitted it. */
export function requestHash(request: { readonly plugin: string; readonly operation: string; readonly input: unknown; readonly cacheControl?: string; readonly webhook?: string }): string {
  return createHash('sha256').update(canonical({ plugin: request.plugin, operation: request.operation, input: request.input, cacheControl: request.cacheControl, webhook: request.webhook })).digest('hex');
}

/** An Idempotency-Key header is 1-255 visible ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
