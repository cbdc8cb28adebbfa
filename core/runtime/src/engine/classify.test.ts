import { ClaudeError, type ClaudeFailureKind } from './types';
import { countsAgainstBreaker, kindForApiStatus, kindForResultSubtype } from './classify';

describe('breaker classification', () => {
  it.each<[ClaudeFailureKind, boolean]>([
    ['overloaded', true],
    ['rate_limited', true],
    ['api_error', true],
    ['interrupted', true],
    ['timeout', true],
    ['crash', true],
    ['bad_request', false],
    ['auth', false],
    ['aborted', false],
    ['circuit_open', false],
    ['max_turns', false],
    ['budget', false],
    ['invalid_output', false],
  ])('%s counts against the breaker: %s', (kind, counts) => {
    expect(countsAgainstBreaker(new ClaudeError(kind, 'x'))).toBe(counts);
  });

  it('does not count a local error that is not a ClaudeError', () => {
    expect(countsAgainstBreaker(new Error('EEXIST: file already exists'))).toBe(false);
  });

  it.each([
    [429, 'rate_limited'],
    [529, 'overloaded'],
    [500, 'api_error'],
    [503, 'api_error'],
    [null, 'api_error'],
    [401, 'auth'],
    [400, 'bad_request'],
    [413, 'bad_request'],
  ])('API status %s is %s', (status, kind) => {
    expect(kindForApiStatus(status)).toBe(kind);
  });

  it('maps result subtypes', () => {
    expect(kindForResultSubtype('error_max_turns')).toBe('max_turns');
    expect(kindForResultSubtype('error_max_budget_usd')).toBe('budget');
    expect(kindForResultSubtype('error_max_structured_output_retries')).toBe('invalid_output');
  });
});
