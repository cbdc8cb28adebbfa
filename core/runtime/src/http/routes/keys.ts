import type { Request } from 'express';
import { z } from 'zod';
import type { KeyService } from '../../auth/key-service';
import type { KeySettings } from '../../auth/key-store';
import { requireAdmin } from '../../auth/middleware';
import { parseBody } from '../../calls/plan';
import { apiKeySchema, keyBudgetSchema } from '../../config/schema';
import { route, type Route } from '../api/route';
import { requireJson } from '../require-json';

const positiveInt = z.number().int().positive();
const when = z.iso.datetime({ offset: true });

/** What may change on a key (PATCH); `null` clears a limit, the budget or the expiry. */
const settingsFields = {
  roles: z.array(z.enum(['user', 'admin'])).min(1),
  plugins: z.array(z.string().min(1)).min(1).meta({ description: 'Plugin ids the key may call; ["*"] for all' }),
  rateLimit: z.strictObject({ limit: positiveInt }).nullable().meta({ description: 'Requests per rateLimits.windowMs (rateLimits.perKey when absent)' }),
  maxConcurrent: positiveInt.nullable().meta({ description: 'Queries running at once (limits.maxConcurrentPerKey when absent)' }),
  budget: keyBudgetSchema.nullable().meta({ description: 'USD per UTC day and month; plugins: the same per plugin id, within it' }),
  expiresAt: when.nullable().meta({ description: 'When the key stops working (401 key_expired); never when absent or null' }),
};

/** `POST /v1/admin/keys`. */
export const createKeyRequest = z.strictObject({
  name: apiKeySchema.shape.name,
  roles: settingsFields.roles.default(['user']),
  plugins: settingsFields.plugins.default(['*']),
  rateLimit: settingsFields.rateLimit.optional(),
  maxConcurrent: settingsFields.maxConcurrent.optional(),
  budget: settingsFields.budget.optional(),
  expiresAt: settingsFields.expiresAt.optional(),
});

/** `PATCH /v1/admin/keys/{keyId}`: at least one field. */
export const patchKeyRequest = z
  .strictObject({
    roles: settingsFields.roles.optional(),
    plugins: settingsFields.plugins.optional(),
    rateLimit: settingsFields.rateLimit.optional(),
    maxConcurrent: settingsFields.maxConcurrent.optional(),
    budget: settingsFields.budget.optional(),
    expiresAt: settingsFields.expiresAt.optional(),
  })
  .refine((p) => Object.keys(p).length > 0, 'name at least one of roles, plugins, rateLimit, maxConcurrent, budget, expiresAt');

/** `POST /v1/admin/keys/{keyId}/rotate`. */
export const rotateKeyRequest = z.strictObject({
  gracePeriodSeconds: z.number().int().min(0).max(90 * 86_400).optional().meta({ description: 'How long the old secrets keep working (database.rotationGraceSeconds, 24 h, when absent); 0 ends them at once' }),
});

const secretView = z.object({ prefix: z.string(), last4: z.string(), createdAt: z.string(), expiresAt: z.string().nullable() });

/** A key as the admin API shows it: never its secret. */
export const keySchema = z
  .object({
    id: z.string().meta({ description: 'key_… for a key in the database; file:<name> for a key of the config file' }),
    name: z.string(),
    source: z.enum(['database', 'file']),
    state: z.enum(['active', 'expired', 'revoked']),
    roles: z.array(z.string()),
    plugins: z.array(z.string()),
    rateLimit: z.object({ limit: z.number().int() }).nullable(),
    maxConcurrent: z.number().int().nullable(),
    budget: z.object({ dailyUsd: z.number().optional(), monthlyUsd: z.number().optional(), plugins: z.record(z.string(), z.object({ dailyUsd: z.number().optional(), monthlyUsd: z.number().optional() })).optional() }).nullable(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    createdAt: z.string().nullable(),
    updatedAt: z.string().nullable(),
    createdBy: z.string().nullable().meta({ description: 'The key (or npm run keys) that created it' }),
    secrets: z.array(secretView).meta({ description: 'Secrets that work or are in their grace period: the first 8 and the last 4 characters, to recognise one' }),
    unknownPlugins: z.array(z.string()).meta({ description: 'Plugin ids the key names that are not served now' }),
  })
  .meta({ id: 'ApiKey' });

const issuedSchema = z
  .object({ key: keySchema, secret: z.string().meta({ description: 'The new secret (ccp_…): shown in this answer only, stored only as its SHA-256' }) })
  .meta({ id: 'IssuedApiKey' });

const keyId = { keyId: 'The key id (GET /v1/admin/keys)' };
const actor = (req: Request) => ({ name: req.caller.name, requestId: req.id });
const settings = (b: z.output<typeof patchKeyRequest>): Partial<KeySettings> => {
  const { expiresAt, ...rest } = b;
  return { ...rest, ...(expiresAt !== undefined ? { expiresAt: expiresAt === null ? null : new Date(expiresAt) } : {}) };
};

/** `/v1/admin/keys` (admin role): create, list, show, change, rotate and revoke API keys. */
export function keyRoutes(keys: KeyService): Route[] {
  return [
    route({
      method: 'post',
      path: '/v1/admin/keys',
      operationId: 'createKey',
      summary: 'Create an API key; its secret is in this answer and nowhere else',
      description: 'The key works at once on this instance and within database.keyRefreshMs (1 s) on every other. Names are unique across the config file and the database.',
      tags: ['admin'],
      body: { schema: createKeyRequest, required: true, example: { name: 'ci-bot', plugins: ['code-review'], budget: { monthlyUsd: 50 } } },
      responses: { 201: { description: 'The key and its secret', json: issuedSchema, headers: { Location: '/v1/admin/keys/{keyId}' } } },
      problems: [400, 403, 409, 415, 503],
      handlers: [
        requireAdmin,
        requireJson(),
        async (req, res) => {
          const body = parseBody(createKeyRequest, req.body, 'a key ({ name, roles, plugins, rateLimit, maxConcurrent, budget, expiresAt })');
          const { name, ...rest } = body;
          const made = await keys.create(name, { ...settings(rest), roles: rest.roles, plugins: rest.plugins }, actor(req));
          res.setHeader('cache-control', 'no-store');
          res.location(`/v1/admin/keys/${made.key.id}`).status(201).json(made);
        },
      ],
    }),
    route({
      method: 'get',
      path: '/v1/admin/keys',
      operationId: 'listKeys',
      summary: 'Every API key: the config file’s (read-only) and the database’s, revoked ones included',
      tags: ['admin'],
      responses: { 200: { description: 'The keys', json: z.object({ keys: z.array(keySchema) }) } },
      problems: [403, 503],
      handlers: [requireAdmin, async (_req, res) => void res.json({ keys: await keys.list() })],
    }),
    route({
      method: 'get',
      path: '/v1/admin/keys/:keyId',
      operationId: 'getKey',
      summary: 'One API key',
      tags: ['admin'],
      params: keyId,
      responses: { 200: { description: 'The key', json: keySchema } },
      problems: [403, 404, 503],
      handlers: [requireAdmin, async (req, res) => void res.json(await keys.get(String(req.params.keyId)))],
    }),
    route({
      method: 'patch',
      path: '/v1/admin/keys/:keyId',
      operationId: 'updateKey',
      summary: "Change a key's roles, plugins, limits, budget or expiry (null clears one)",
      tags: ['admin'],
      params: keyId,
      body: { schema: patchKeyRequest, required: true, example: { plugins: ['code-review', 'doc-generator'], maxConcurrent: 2 } },
      responses: { 200: { description: 'The key as it is now', json: keySchema } },
      problems: [400, 403, 404, 409, 415, 503],
      handlers: [
        requireAdmin,
        requireJson(),
        async (req, res) => {
          const body = parseBody(patchKeyRequest, req.body, 'a change ({ roles, plugins, rateLimit, maxConcurrent, budget, expiresAt })');
          res.json(await keys.update(String(req.params.keyId), settings(body), actor(req)));
        },
      ],
    }),
    route({
      method: 'post',
      path: '/v1/admin/keys/:keyId/rotate',
      operationId: 'rotateKey',
      summary: 'Issue a new secret; the old ones keep working for a grace period (24 h by default), then get 401 key_expired',
      tags: ['admin'],
      params: keyId,
      body: { schema: rotateKeyRequest, required: false, example: { gracePeriodSeconds: 3600 } },
      responses: { 200: { description: 'The key and its new secret', json: issuedSchema } },
      problems: [400, 403, 404, 409, 415, 503],
      handlers: [
        requireAdmin,
        requireJson({ optional: true }),
        async (req, res) => {
          const body = parseBody(rotateKeyRequest, req.body, 'a rotation ({ gracePeriodSeconds })');
          res.setHeader('cache-control', 'no-store');
          res.json(await keys.rotate(String(req.params.keyId), body.gracePeriodSeconds, actor(req)));
        },
      ],
    }),
    route({
      method: 'delete',
      path: '/v1/admin/keys/:keyId',
      operationId: 'revokeKey',
      summary: 'Revoke a key at once (401 key_revoked from the next request on)',
      tags: ['admin'],
      params: keyId,
      responses: { 200: { description: 'The key, revoked', json: keySchema } },
      problems: [403, 404, 409, 503],
      handlers: [requireAdmin, async (req, res) => void res.json(await keys.revoke(String(req.params.keyId), actor(req)))],
    }),
  ];
}
