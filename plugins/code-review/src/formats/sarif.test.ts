import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { RULES } from '../rules';
import { reviewedResult } from './fixture';
import { sarifFormat, sarifLog } from './sarif';

type Log = { runs: { tool: { driver: { rules: Record<string, unknown>[] } }; results: Record<string, any>[] }[] };

const vendored = (name: string) => JSON.parse(readFileSync(join(__dirname, '../../test/schemas', name), 'utf8'));
/** The Linux build of Microsoft's SARIF Multitool and the schema it ships (see test/schemas/README.md). */
const MULTITOOL_DIR = process.platform === 'linux' && process.arch === 'x64' ? dirname(require.resolve('@microsoft/sarif-multitool-linux/package.json')) : undefined;

/** Errors of a JSON Schema validator, one line each (empty when valid). */
function schemaErrors(validate: { (v: unknown): boolean; errors?: { instancePath: string; message?: string }[] | null }, value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

// unicodeRegExp off: the schema's `language` pattern (`…-[a-zA-Z]{2}]?$`) has a stray `]` that
// only the non-unicode regular expression syntax accepts.
const oasis = new AjvDraft04({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(oasis);
const oasisSchema = oasis.compile(vendored('sarif-2.1.0-rtm.5.json'));

const { input: incrementalInput, review: firstReview } = reviewedResult();
const previous = [firstReview.findings[0]!.fingerprint, 'a'.repeat(32)];
const incremental = reviewedResult(previous);
const log = sarifLog(incremental.review, incremental.input) as unknown as Log;

describe('SARIF', () => {
  it('validates against the OASIS SARIF 2.1.0 JSON Schema (draft-04, ajv)', () => {
    expect(schemaErrors(oasisSchema, log)).toEqual([]);
    expect(schemaErrors(oasisSchema, sarifLog(firstReview, incrementalInput))).toEqual([]);
    // The schema does refuse a broken log.
    const broken = structuredClone(log);
    broken.runs[0]!.results[0]!.level = 'severe';
    expect(schemaErrors(oasisSchema, broken).join()).toContain('/runs/0/results/0/level');
  });

  (MULTITOOL_DIR ? it : it.skip)('validates against the SARIF 2.1.0 schema the multitool ships (JSON Schema 2020-12, ajv)', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(join(MULTITOOL_DIR as string, 'sarif-2.1.0.json'), 'utf8')));
    expect(schemaErrors(validate, log)).toEqual([]);
  });

  (MULTITOOL_DIR ? it : it.skip)("passes Microsoft's SARIF Multitool validate, with GitHub's ingestion rules: no error, no warning", () => {
    const bin = join(MULTITOOL_DIR as string, 'Sarif.Multitool');
    // npm 11 does not run the package's postinstall (chmod u+x).
    if ((statSync(bin).mode & 0o100) === 0) chmodSync(bin, 0o755);
    const dir = mkdtempSync(join(tmpdir(), 'ccp-sarif-'));
    try {
      const broken = structuredClone(log);
      delete broken.runs[0]!.tool.driver.rules[0]!.help; // GitHub requires help on every rule
      writeFileSync(join(dir, 'review.sarif'), JSON.stringify(log, null, 2));
      writeFileSync(join(dir, 'broken.sarif'), JSON.stringify(broken, null, 2));
      const out = join(dir, 'validation.sarif');
      const run = spawnSync(bin, ['validate', join(dir, 'review.sarif'), join(dir, 'broken.sarif'), '--output', out, '--log', 'ForceOverwrite', '--rule-kind', 'Sarif;Gh', '--quiet'], { encoding: 'utf8', timeout: 90_000 });
      expect(run.error).toBeUndefined();
      const report = JSON.parse(readFileSync(out, 'utf8')) as Log & { runs: { invocations?: { executionSuccessful: boolean }[] }[] };
      const [validation] = report.runs;
      expect(validation?.invocations?.[0]?.executionSuccessful).toBe(true);
      const rules = validation?.tool.driver.rules ?? [];
      const problems = (validation?.results ?? []).map((r) => {
        const level = r.level ?? (rules[r.ruleIndex] as { defaultConfiguration?: { level?: string } } | undefined)?.defaultConfiguration?.level ?? 'warning';
        const file = String(r.locations?.[0]?.physicalLocation?.artifactLocation?.uri ?? '').split('/').pop();
        return `${file} ${level} ${r.ruleId} ${JSON.stringify(r.message.arguments ?? r.message.text)}`;
      });
      expect(problems.filter((p) => p.startsWith('review.sarif') && !p.includes(' note '))).toEqual([]);
      // The validator is awake: the broken copy gets GitHub's error.
      expect(problems.filter((p) => p.startsWith('broken.sarif'))).toEqual([expect.stringContaining('broken.sarif error GH2012')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists every rule in tool.driver.rules, with results pointing at their index', () => {
    const run = log.runs[0]!;
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    for (const r of run.results) expect(run.tool.driver.rules[r.ruleIndex]?.id).toBe(r.ruleId);
  });

  it('maps severities to levels, and carries the region, fingerprint and baseline state of each finding', () => {
    const [sql, loop, name] = log.runs[0]!.results;
    expect([sql?.level, loop?.level, name?.level]).toEqual(['error', 'warning', 'note']);
    expect(loop?.locations[0].physicalLocation).toEqual({ artifactLocation: { uri: 'src/sum.ts' }, region: { startLine: 3, endLine: 5 } });
    expect(incremental.review.findings.map((f) => f.fingerprint)).toEqual(log.runs[0]!.results.map((r) => r.partialFingerprints.primaryLocationLineHash));
    expect(log.runs[0]!.results.map((r) => r.baselineState)).toEqual(['unchanged', 'new', 'new']);
    expect(sarifLog(firstReview, incrementalInput)).not.toHaveProperty('runs.0.results.0.baselineState');
  });

  it('offers an exact replacement as a fix of the whole lines, and nothing where there is none', () => {
    const [sql, loop] = log.runs[0]!.results;
    expect(sql?.fixes[0].artifactChanges[0]).toEqual({
      artifactLocation: { uri: 'src/db.ts' },
      replacements: [{ deletedRegion: { startLine: 4, endLine: 4 }, insertedContent: { text: incremental.review.findings[0]!.replacement } }],
    });
    expect(loop).not.toHaveProperty('fixes');
  });

  it('percent-encodes paths into URI references', () => {
    const review = { ...firstReview, findings: [{ ...firstReview.findings[0]!, file: 'src/my file#1.ts' }] };
    expect((sarifLog(review, incrementalInput) as unknown as Log).runs[0]!.results[0]!.locations[0].physicalLocation.artifactLocation.uri).toBe('src/my%20file%231.ts');
  });

  it('is declared as application/sarif+json, named sarif', () => {
    expect([sarifFormat.name, sarifFormat.mediaType]).toEqual(['sarif', 'application/sarif+json']);
    expect(sarifFormat.render(incremental.review, { input: incremental.input })).toEqual(log);
  });
});
