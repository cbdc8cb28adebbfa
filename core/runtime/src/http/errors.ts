import type { NextFunction, Request, Response } from 'express';
import { InputError, NotFoundError, PlatformError, type Logger } from '@ccp/plugin-api';
import { toPlatformError } from '../calls/to-problem';
import { sendProblem } from './problem';
import { INVALID_UTF8 } from './utf8-body';

/** What body-parser attaches to the errors it throws. */
interface ParserError {
  type?: string;
  status?: number;
  limit?: number;
}

function fromParser(err: ParserError, limit: number): PlatformError | undefined {
  switch (err.type) {
    case 'entity.too.large':
      return new InputError('body_too_large', `The body is larger than ${limit} bytes. Send less, or split the work into several calls.`);
    case 'entity.parse.failed':
      return new InputError('invalid_json', 'The body is not valid JSON. Send a JSON object with Content-Type: application/json.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new InputError('unsupported_media_type', 'The body must be UTF-8 JSON (Content-Type: application/json; charset=utf-8).');
    case 'request.aborted':
      return new PlatformError('client_closed_request', 'The client closed the request before its body was sent whole.');
    case INVALID_UTF8:
      return new InputError('unsupported_media_type', 'The body is not valid UTF-8: it holds bytes that are not UTF-8 text. Send UTF-8 JSON (Content-Type: application/json; charset=utf-8); encode binary file content (for example as base64) before sending it.');
    default:
      return undefined;
  }
}

/**
 * A path whose percent-encoding does not decode (`/v1/plugins/%E0%A4%A`): Express's router
 * throws a URIError when it decodes the route parameter. No route can match such a path.
 */
function undecodablePath(err: unknown, req: Request): PlatformError | undefined {
  if (!(err instanceof URIError)) return undefined;
  return new NotFoundError('route_not_found', `No route for ${req.method} ${req.path}: the path is not valid percent-encoded UTF-8. GET /v1/plugins lists the operations.`);
}

/** The problem a request's error is answered with: a body parser's, a path's, or the platform's own. */
export function problemFor(err: unknown, req: Request, bodyLimitBytes: number): PlatformError {
  return fromParser(err as ParserError, bodyLimitBytes) ?? undecodablePath(err, req) ?? toPlatformError(err);
}

/** The 404 for any path no route matched. */
export function notFound(req: Request, _res: Response, next: NextFunction): void {
  next(new NotFoundError('route_not_found', `No route for ${req.method} ${req.path}. GET /v1/plugins lists the operations; GET /health/ready the status.`));
}

/**
 * The one error middleware: everything becomes an RFC 9457 problem. Unknown errors are
 * logged with their stack and answered with a bare `internal_error`: no stack, no path.
 */
export function errorHandler(logger: Logger, bodyLimitBytes: number) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const problem = problemFor(err, req, bodyLimitBytes);
    if (problem.code === 'internal_error') logger.error({ err, requestId: req.id, path: req.path }, 'unhandled error');
    else if (problem.status >= 500) logger.warn({ requestId: req.id, code: problem.code, cause: err instanceof Error ? err.message : undefined }, problem.title);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendProblem(res, problem, req.id, req.originalUrl.split('?')[0]);
  };
}
