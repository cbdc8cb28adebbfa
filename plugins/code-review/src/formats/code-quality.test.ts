import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { codeQualityFormat, codeQualityReport } from './code-quality';
import { reviewedResult } from './fixture';

const schema = JSON.parse(readFileSync(join(__dirname, '../../test/schemas/gitlab-codequality.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true }).compile(schema);
const errors = (value: unknown) => (validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));

describe('GitLab Code Quality', () => {
  const { review } = reviewedResult();
  const report = codeQualityReport(review);

  it('validates against the Code Quality report schema, and the schema refuses what GitLab would', () => {
    expect(errors(report)).toEqual([]);
    expect(errors([{ ...report[0], severity: 'high' }]).join()).toContain('/0/severity');
    expect(errors([{ ...report[0], location: { path: 'src/db.ts' } }]).join()).toContain('/0/location');
    expect(errors([{ ...report[0], description: 'two\nlines' }]).join()).toContain('/0/description');
  });

  it('has one issue per finding with its rule, fingerprint, severity and lines; fingerprints unique, as GitLab keeps one issue per fingerprint', () => {
    expect(report.map((i) => [i.check_name, i.severity, i.location])).toEqual([
      ['security/sql-injection', 'blocker', { path: 'src/db.ts', lines: { begin: 4, end: 4 } }],
      ['correctness/off-by-one', 'major', { path: 'src/sum.ts', lines: { begin: 3, end: 5 } }],
      ['style/readability', 'info', { path: 'src/sum.ts', lines: { begin: 2, end: 2 } }],
    ]);
    expect(report.map((i) => i.fingerprint)).toEqual(review.findings.map((f) => f.fingerprint));
    expect(new Set(report.map((i) => i.fingerprint)).size).toBe(report.length);
    expect(report.map((i) => i.categories)).toEqual([['Security'], ['Bug Risk'], ['Style']]);
    expect(report[1]?.content).toEqual({ body: review.findings[1]?.suggestion });
  });

  it('is an empty array for a clean review', () => {
    expect(codeQualityReport({ ...review, findings: [] })).toEqual([]);
    expect(errors([])).toEqual([]);
  });

  it('is declared as codequality', () => {
    expect(codeQualityFormat.name).toBe('codequality');
    expect(codeQualityFormat.mediaType).toBe('application/vnd.gitlab.codequality+json');
  });
});
