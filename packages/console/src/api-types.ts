/**
 * The shapes the console reads, taken from the types `npm run openapi` generates from the
 * routes' own declarations (test/contract/generated/openapi.d.ts), so a route that changes
 * what it answers breaks the console's type-check instead of the page.
 */
import type { components, operations } from '../../../test/contract/generated/openapi';

type Schemas = components['schemas'];

export type Session = Schemas['Session'];
export type SessionTurn = Schemas['SessionTurn'];
export type Job = Schemas['Job'];
export type JobSummary = Omit<Job, 'result'>;
export type Status = Schemas['Status'];
export type Me = Schemas['Me'];
export type Usage = Schemas['Usage'];
export type ApiKey = Schemas['ApiKey'];
export type IssuedApiKey = Schemas['IssuedApiKey'];
export type UsageReport = Schemas['UsageReport'];
export type KeyBudgets = Schemas['KeyBudgets'];
export type AuditLine = operations['getAuditTail']['responses'][200]['content']['application/json']['entries'][number];
