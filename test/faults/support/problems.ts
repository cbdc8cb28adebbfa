import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, type ErrorCode } from '@ccp/plugin-api';
import type { Answer } from './calls';

const documented = readFileSync(join(__dirname, '../../../docs/errors.md'), 'utf8');

/** An RFC 9457 problem as docs/errors.md documents it. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly requestId: string;
  readonly retryAfterSeconds?: number;
}

const show = (v: unknown) => JSON.stringify(v)?.slice(0, 200);

/** Throws `what: expected …, got …` unless `ok` (readable in the table, unlike a matcher's diff). */
export function must(ok: boolean, what: string, expected: unknown, got: unknown): void {
  if (!ok) throw new Error(`${what}: expected ${show(expected)}, got ${show(got)}`);
}

/** Fails unless `body` is the documented problem for `code`: its status, type and title, and a section in docs/errors.md. */
export function expectProblemBody(body: unknown, code: ErrorCode): Problem {
  const p = (body ?? {}) as Problem;
  const dashed = code.replaceAll('_', '-');
  const want = { status: ERROR_CODES[code].status, code, type: `urn:claude-code-platform:problem:${dashed}`, title: ERROR_CODES[code].title };
  const got = { status: p.status, code: p.code, type: p.type, title: p.title };
  must(JSON.stringify(got) === JSON.stringify(want), 'the problem', `${want.status} ${code}`, p.status === undefined ? body : `${p.status} ${p.code}${p.title !== want.title ? ` (${p.title})` : ''}`);
  must(typeof p.detail === 'string' && p.detail.length > 0, 'its detail', 'a sentence', p.detail);
  must(documented.includes(`## ${dashed}\n`), 'docs/errors.md', `a section ${dashed}`, 'none');
  return p;
}

/**
 * Fails unless the answer is the documented `application/problem+json` for `code`, with a
 * positive `Retry-After` (header and body agreeing) when `retry` is set.
 */
export function expectProblem(answer: Answer, code: ErrorCode, options: { retry?: boolean } = {}): Problem {
  const type = String(answer.headers['content-type'] ?? '').split(';')[0];
  const status = ERROR_CODES[code].status;
  must(answer.status === status && type === 'application/problem+json', 'the answer', `${status} ${code} as application/problem+json`, `${answer.status} ${type} ${answer.text.slice(0, 150)}`);
  const p = expectProblemBody(answer.json, code);
  if (options.retry) {
    const header = Number(answer.headers['retry-after']);
    must(Number.isFinite(header) && header > 0, 'Retry-After', 'a positive number of seconds', answer.headers['retry-after']);
    must(p.retryAfterSeconds === header, 'retryAfterSeconds in the body', header, p.retryAfterSeconds);
  }
  return p;
}
