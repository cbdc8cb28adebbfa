import type { Response } from 'express';
import type { PlatformError } from '@ccp/plugin-api';

/**
 * Base of the `type` URIs. They identify a code and are not meant to resolve (RFC 9457
 * allows that); docs/errors.md has a section per code under the same name.
 */
export const PROBLEM_TYPE_BASE = 'urn:claude-code-platform:problem:';

/** The RFC 9457 document for an error. */
export function problemBody(err: PlatformError, requestId: string, instance?: string): Record<string, unknown> {
  return {
    type: PROBLEM_TYPE_BASE + err.code.replaceAll('_', '-'),
    title: err.title,
    status: err.status,
    detail: err.detail,
    code: err.code,
    requestId,
    ...(instance ? { instance } : {}),
    ...(err.extras.errors ? { errors: err.extras.errors } : {}),
    ...(err.extras.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.extras.retryAfterSeconds } : {}),
  };
}

/** Sends an error as `application/problem+json`, with `Retry-After` when it has one. */
export function sendProblem(res: Response, err: PlatformError, requestId: string, instance?: string): void {
  if (err.extras.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(err.extras.retryAfterSeconds));
  const challenge = (err as { challenge?: unknown }).challenge;
  if (typeof challenge === 'string') res.setHeader('WWW-Authenticate', challenge);
  res.status(err.status).type('application/problem+json').send(JSON.stringify(problemBody(err, requestId, instance)));
}
