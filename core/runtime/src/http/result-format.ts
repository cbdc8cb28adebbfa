import { InputError, type ResultFormat } from '@ccp/plugin-api';
import type { Request, Response } from 'express';
import type { ResponseSpec, RouteDoc } from './api/route';

/** The answer every operation has: the call's JSON body. */
export const JSON_MEDIA_TYPE = 'application/json';

/** What a negotiated answer is: the JSON body, or one of the operation's formats. */
export type Negotiated = { readonly kind: 'json' } | { readonly kind: 'format'; readonly format: ResultFormat };

const JSON_ANSWER: Negotiated = { kind: 'json' };

const available = (formats: readonly ResultFormat[]): string =>
  ['json (application/json)', ...formats.map((f) => `${f.name} (${f.mediaType})`)].join(', ');

/**
 * The format a request asks for: `?format=<name>` when given (`json` is the JSON body),
 * else the best match of `Accept` among `application/json` and the formats' media types
 * (JSON when `Accept` is absent or a wildcard). Throws 406 `unsupported_format` for a name
 * the operation does not have, an `Accept` it cannot satisfy, or a format asked for on a
 * stream (whose result event is always JSON); `what` names the operation in the detail.
 */
export function negotiateFormat(req: Request, formats: readonly ResultFormat[], what: string, streaming = false): Negotiated {
  const asked = req.query.format;
  if (asked !== undefined) {
    const name = Array.isArray(asked) || typeof asked !== 'string' ? undefined : asked;
    const format = name === 'json' ? undefined : formats.find((f) => f.name === name);
    if (name !== 'json' && !format) throw new InputError('unsupported_format', `${what} has no format "${Array.isArray(asked) ? asked.join(',') : String(asked)}". Its formats: ${available(formats)}.`);
    if (format && streaming) throw new InputError('unsupported_format', `A stream's result event is always JSON: ask for ?format=${format.name} without Accept: text/event-stream, or fetch the job's result with it.`);
    return format ? { kind: 'format', format } : JSON_ANSWER;
  }
  if (streaming) return JSON_ANSWER;
  if (!req.get('accept')) return JSON_ANSWER;
  const best = req.accepts([JSON_MEDIA_TYPE, ...formats.map((f) => f.mediaType)]);
  if (best === false) throw new InputError('unsupported_format', `${what} cannot answer with ${req.get('accept')}. It answers with ${available(formats)}; ask with Accept or ?format=.`);
  const format = formats.find((f) => f.mediaType === best);
  return format ? { kind: 'format', format } : JSON_ANSWER;
}

/**
 * Answers with `body` (the call's JSON body) as negotiated: JSON as it is, or the format's
 * rendering of `body.result` with the call's validated input (`input` is asked for only
 * then; a string is sent as it is, anything else as JSON) and `Content-Type` the format's
 * media type.
 */
export function sendNegotiated(res: Response, negotiated: Negotiated, body: { readonly result: unknown }, input: () => unknown): void {
  // The same URL answers differently by Accept: caches must key on it.
  res.vary('Accept');
  if (negotiated.kind === 'json') {
    res.json(body);
    return;
  }
  const { format } = negotiated;
  const rendered = format.render(body.result, { input: input() });
  const text = typeof rendered === 'string' ? rendered : JSON.stringify(rendered);
  res.setHeader('content-type', `${format.mediaType}; charset=utf-8`);
  res.send(Buffer.from(text, 'utf8'));
}

/** The `format` query parameter of a route that answers a result, as the API description gives it; none without formats. */
export function formatQuery(formats: readonly ResultFormat[]): RouteDoc['query'] {
  if (formats.length === 0) return undefined;
  return {
    format: {
      description: `The result as a report instead of JSON: ${formats.map((f) => `\`${f.name}\` (${f.mediaType}): ${f.description}`).join(' ')} The same as asking with Accept; \`json\` is the default.`,
      schema: { type: 'string', enum: ['json', ...formats.map((f) => f.name)] },
    },
  };
}

/** The media types a result may come in besides JSON, as the API description gives them. */
export function formatAlternatives(formats: readonly ResultFormat[]): ResponseSpec['alternatives'] {
  return formats.map((f) => ({ mediaType: f.mediaType, schema: { description: f.description, ...(f.schema ?? {}) } }));
}
