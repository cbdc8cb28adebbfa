import { PlatformError, UnavailableError } from '@ccp/plugin-api';

/** Retry-After for a shared store that does not answer: ioredis reconnects within seconds. */
export const SHARED_STATE_RETRY_AFTER_SECONDS = 5;

/** The typed 503 for a shared store (Redis) that failed; a platform error passes unchanged. */
export function sharedStateError(err: unknown): PlatformError {
  if (err instanceof PlatformError) return err;
  return new UnavailableError(
    'shared_state_unavailable',
    'The shared state store (Redis) does not answer, so limits and budgets cannot be checked; the call was not run. Retry shortly; an operator should check REDIS_URL and /health/ready.',
    { retryAfterSeconds: SHARED_STATE_RETRY_AFTER_SECONDS },
  );
}

/** Awaits a store operation that must succeed for the call to go on (fail closed). */
export async function failClosed<T>(operation: Promise<T> | T): Promise<T> {
  try {
    return await operation;
  } catch (err) {
    throw sharedStateError(err);
  }
}
