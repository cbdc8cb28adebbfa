import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { reviewedResult } from './fixture';
import { rdjsonFormat, rdjsonResult } from './rdjson';

const schema = JSON.parse(readFileSync(join(__dirname, '../../test/schemas/rdformat.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
const valid = (value: unknown) => validate(value);
/** The DiagnosticResult branch of the schema's oneOf: what `-f=rdjson` reads. */
const asDiagnosticResult = new Ajv({ allErrors: true, strict: false }).compile(schema.oneOf[2]);

type Diagnostic = { message: string; severity: string; location: unknown; code: { value: string }; suggestions?: { range: unknown; text: string }[] };

describe('reviewdog rdjson', () => {
  const { review } = reviewedResult();
  const result = rdjsonResult(review) as { source: { name: string }; diagnostics: Diagnostic[] };

  it('validates as a DiagnosticResult against the rdformat schema, and the schema refuses a broken one', () => {
    expect(valid(result)).toBe(true);
    expect(asDiagnosticResult(result)).toBe(true);
    expect(valid({ ...result, diagnostics: [{ ...result.diagnostics[0], severity: 'CRITICAL' }] })).toBe(false);
    expect(valid({ ...result, diagnostics: [{ ...result.diagnostics[0], location: { range: { start: { line: 1 } } } }] })).toBe(false);
  });

  it('has one diagnostic per finding with its rule code, severity and line-wise range', () => {
    expect(result.diagnostics.map((d) => [d.code.value, d.severity, d.location])).toEqual([
      ['security/sql-injection', 'ERROR', { path: 'src/db.ts', range: { start: { line: 4 }, end: { line: 4 } } }],
      ['correctness/off-by-one', 'WARNING', { path: 'src/sum.ts', range: { start: { line: 3 }, end: { line: 5 } } }],
      ['style/readability', 'INFO', { path: 'src/sum.ts', range: { start: { line: 2 }, end: { line: 2 } } }],
    ]);
    expect(result.diagnostics[1]?.message).toContain('Suggestion: Stop before the length');
  });

  it('suggests a change only where the finding has an exact replacement', () => {
    expect(result.diagnostics[0]?.suggestions).toEqual([{ range: { start: { line: 4 }, end: { line: 4 } }, text: review.findings[0]?.replacement }]);
    expect(result.diagnostics.slice(1).map((d) => d.suggestions)).toEqual([undefined, undefined]);
  });

  it('is declared as rdjson', () => {
    expect([rdjsonFormat.name, rdjsonFormat.mediaType]).toEqual(['rdjson', 'application/vnd.reviewdog.rdjson+json']);
  });
});
