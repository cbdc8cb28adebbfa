import type { Request, Response } from 'express';

/** Fires when the client goes away before the response was sent. */
export function callerSignal(res: Response): AbortSignal {
  const caller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) caller.abort();
  });
  return caller.signal;
}
