import { InputError } from '@ccp/plugin-api';
import type { Request, Response } from 'express';

/** Fires when the client goes away before the response was sent. */
export function callerSignal(res: Response): AbortSignal {
  const caller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) caller.abort();
  });
  return caller.signal;
}

/** Throws 415 unless the body was sent as JSON. */
export function requireJson(req: Request): void {
  if (!req.is('application/json')) throw new InputError('unsupported_media_type', 'Send the input as a JSON object with Content-Type: application/json.');
}
