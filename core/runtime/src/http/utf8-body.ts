import type { IncomingMessage, ServerResponse } from 'node:http';
import { isUtf8 } from 'node:buffer';

/** The body-parser error `type` of a body that is not valid UTF-8 (see http/errors.ts). */
export const INVALID_UTF8 = 'encoding.invalid_utf8';

/**
 * `express.json({ verify })`: a JSON body must be UTF-8 (RFC 8259 section 8.1), decoded
 * strictly. Without this, body-parser decodes with replacement characters, so invalid bytes
 * inside a string became U+FFFD and the call went on with content the caller never sent.
 * Another charset (`utf-16`, which body-parser would accept) is refused too.
 */
export function requireUtf8(_req: IncomingMessage, _res: ServerResponse, body: Buffer, encoding: string): void {
  if (encoding.toLowerCase() !== 'utf-8') throw Object.assign(new Error(`unsupported charset "${encoding}"`), { type: 'charset.unsupported' });
  if (!isUtf8(body)) throw Object.assign(new Error('the body is not valid UTF-8'), { type: INVALID_UTF8 });
}
