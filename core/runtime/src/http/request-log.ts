import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '@ccp/plugin-api';

/** One debug line per request, headers included: the logger's redaction censors credentials. */
export function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    res.once('close', () => {
      logger.debug(
        { requestId: req.id, req: { method: req.method, url: req.originalUrl, headers: req.headers }, status: res.statusCode, ms: Math.round(performance.now() - started) },
        'request',
      );
    });
    next();
  };
}
