import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { InputError } from '@ccp/plugin-api';

/** Options of {@link requireJson}. */
export interface RequireJsonOptions {
  /** A request without a body passes (its `req.body` is then `undefined`): an optional input. */
  readonly optional?: boolean;
}

/**
 * Whether the request announces a body. A chunked body cannot be known to be empty before
 * it is read; express.json makes an empty one `{}`, which the input schema then judges.
 */
function announcesBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length.trim() !== '0';
}

/**
 * Guards a route that takes a JSON body; mount it before the handler, after express.json:
 * `router.post('/:id/:operation', requireJson(), handler)`. No body is a 400 `empty_body`
 * (not the 415 a missing body used to get, which blamed a Content-Type the caller had
 * set); a body of another media type is a 415 `unsupported_media_type`.
 */
export function requireJson(options: RequireJsonOptions = {}): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!announcesBody(req)) {
      if (options.optional) return next();
      throw new InputError('empty_body', 'The request has no body. Send the input as a JSON object with Content-Type: application/json.');
    }
    if (!req.is('application/json')) {
      const sent = req.get('content-type');
      throw new InputError('unsupported_media_type', `Send the input as a JSON object with Content-Type: application/json (this request sent ${sent ? `Content-Type: ${sent.slice(0, 100)}` : 'no Content-Type'}).`);
    }
    next();
  };
}
