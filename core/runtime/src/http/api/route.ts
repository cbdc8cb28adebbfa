import type { Request, RequestHandler } from 'express';
import { z } from 'zod';

/** A JSON Schema given as it is (plugin schemas are already JSON Schema). */
export type JsonSchema = Record<string, unknown>;

/** A schema as a route declares it: zod (turned into JSON Schema) or JSON Schema itself. */
export type SchemaOf = z.ZodType | JsonSchema;

/** One response a route may give. */
export interface ResponseSpec {
  readonly description: string;
  /** `application/json` body. */
  readonly json?: SchemaOf;
  /** `text/event-stream`: the schema of each event's data, by event name. */
  readonly events?: Readonly<Record<string, SchemaOf>>;
  /** Another media type, e.g. `text/plain` or `text/html`, with its schema. */
  readonly other?: { readonly mediaType: string; readonly schema: SchemaOf };
  /** More media types the same response may come in, chosen by the request (e.g. an operation's result formats). */
  readonly alternatives?: readonly { readonly mediaType: string; readonly schema: SchemaOf }[];
  readonly headers?: Readonly<Record<string, string>>;
}

/** The documentation of one concrete path of a route (a route may stand for several, e.g. one per plugin operation). */
export interface RouteDoc {
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, { readonly description: string; readonly schema: SchemaOf }>>;
  /** Request headers the route reads (`Prefer`, `Idempotency-Key`, `Webhook`), all optional. */
  readonly requestHeaders?: Readonly<Record<string, { readonly description: string; readonly schema?: SchemaOf }>>;
  readonly body?: { readonly schema: SchemaOf; readonly required: boolean; readonly example?: unknown };
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /** Problem statuses besides the ones every route of its kind may give. */
  readonly problems?: readonly number[];
  /** Named schemas this path refers to (`#/components/schemas/<name>`). */
  readonly schemas?: Readonly<Record<string, SchemaOf>>;
}

/**
 * One HTTP route, declared once: how express serves it and how the OpenAPI document
 * describes it. `public` routes need no API key; every other route is under /v1 and gets
 * the authentication and rate-limit problems in its description.
 */
export interface Route extends RouteDoc {
  readonly method: 'get' | 'post' | 'patch' | 'delete';
  readonly public?: boolean;
  /** Described, not served by express (the WebSocket upgrade is handled by the server's 'upgrade' event). */
  readonly documentOnly?: boolean;
  /**
   * Whether the call pipeline counts this request against the per-key rate limit (a call);
   * then the route's own rate-limit middleware lets it pass, so it is counted once.
   */
  readonly countedAsCall?: (req: Request) => boolean;
  /**
   * Whether a refusal of this request is a refused call, which leaves an audit line;
   * `countedAsCall` when absent. (A format an operation lacks is refused before the pipeline
   * counts it, yet it was a call.)
   */
  readonly auditedAsCall?: (req: Request) => boolean;
  /**
   * Served while the shared state (Redis) does not answer: the per-key rate limit, which
   * cannot count then, lets the request pass instead of refusing it with the typed 503.
   * For what on-call reads during an outage (`GET /v1/status`), not for what costs anything.
   */
  readonly servedWhileSharedStateDown?: boolean;
  /** Other paths this route serves in the document (e.g. one per plugin operation); the route's own path when absent. */
  readonly expand?: () => readonly RouteDoc[];
  readonly handlers: readonly RequestHandler[];
}

/** Declares a route (an identity that checks the shape). */
export function route(spec: Route): Route {
  return spec;
}

/** A zod schema turned into the JSON Schema the document publishes (what a caller may send: input semantics). */
export function jsonSchema(schema: SchemaOf, io: 'input' | 'output' = 'output'): JsonSchema {
  if (!(typeof schema === 'object' && schema !== null && '_zod' in schema)) return schema as JsonSchema;
  const out = z.toJSONSchema(schema as z.ZodType, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  delete out.$schema;
  return out;
}
