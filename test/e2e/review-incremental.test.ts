import { reviewResult, type Finding, type ReviewResult } from '@ccp/plugin-code-review';
import { postJson, startTestRuntime, waitUntil, type TestRuntime } from '@ccp/testing';

// Incremental review and report formats through HTTP, the real `claude` CLI and the
// simulator, whose answers are scripted: the model names findings by file and line only;
// their fingerprints, and so new / persisting / resolved, come from the platform.

const SUM = ['export function sum(xs: number[]) {', '  let t = 0;', '  for (let i = 0; i <= xs.length; i++) {', '    t += xs[i];', '  }', '  return t;', '}', ''];
const DB = ['import { pool } from "./pool";', '', 'export async function findUser(id: string) {', '  const { rows } = await pool.query("SELECT * FROM users WHERE id = \'" + id + "\'");', '  return rows[0];', '}', ''];
/** The second version: ten lines of docs above sum (its code moves down 10 lines), the query fixed, a new cache that grows forever. */
const SUM_V2 = [...Array.from({ length: 10 }, (_, i) => `// note ${i + 1}`), ...SUM];
const DB_V2 = [...DB.slice(0, 3), '  const { rows } = await pool.query("SELECT * FROM users WHERE id = $1", [id]);', '  seen.push(rows[0]);', ...DB.slice(4)];

const files = (sum: string[], db: string[]) => [
  { path: 'src/sum.ts', content: sum.join('\n') },
  { path: 'src/db.ts', content: db.join('\n') },
];

const finding = (f: Pick<Finding, 'file' | 'line' | 'ruleId' | 'severity' | 'category'> & Partial<Finding>): Finding => ({ message: `simulated: ${f.ruleId}`, suggestion: 'simulated fix', ...f });
const offByOne = (line: number) => finding({ file: 'src/sum.ts', line, endLine: line + 2, severity: 'medium', category: 'correctness', ruleId: 'correctness/off-by-one' });
const naming = (line: number) => finding({ file: 'src/sum.ts', line, severity: 'info', category: 'maintainability', ruleId: 'maintainability/unclear-naming' });
const injection = finding({ file: 'src/db.ts', line: 4, severity: 'critical', category: 'security', ruleId: 'security/sql-injection', replacement: DB_V2[3] });
const growth = finding({ file: 'src/db.ts', line: 5, severity: 'high', category: 'performance', ruleId: 'performance/unbounded-growth' });

describe('incremental code review end to end with the real CLI', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(() => rt.close());
  beforeEach(() => rt.simulator.reset());

  /** The simulated model's next answer: these findings, through the StructuredOutput tool. */
  const answer = (findings: Finding[]) =>
    rt.simulator.enqueue({
      blocks: [
        { type: 'text', text: 'I read both files.' },
        { type: 'tool_use', name: 'StructuredOutput', input: { summary: 'simulated summary', findings, filesReviewed: ['src/sum.ts', 'src/db.ts'] } },
      ],
    });

  async function review(body: unknown, query = ''): Promise<Response> {
    return postJson(`${rt.url}/v1/plugins/code-review/review${query}`, body);
  }

  async function reviewed(body: unknown): Promise<ReviewResult> {
    const res = await review(body);
    expect(res.status).toBe(200);
    const { result } = (await res.json()) as { result: ReviewResult };
    expect(reviewResult.safeParse(result).success).toBe(true);
    return result;
  }

  it('reports persisting, new and resolved against the first review, when the code moved and one problem was fixed', async () => {
    answer([offByOne(3), naming(2), injection]);
    const first = await reviewed({ files: files(SUM, DB) });
    expect(first.findings.map((f) => f.status)).toEqual(['new', 'new', 'new']);
    expect(first.resolved).toEqual([]);
    const [loopPrint, namingPrint, injectionPrint] = first.findings.map((f) => f.fingerprint);

    // The same problems in sum.ts, 10 lines further down; the injection gone; a new problem in db.ts.
    answer([offByOne(13), naming(12), growth]);
    const second = await reviewed({ files: files(SUM_V2, DB_V2), previous: { fingerprints: first.findings.map((f) => f.fingerprint) } });
    expect(second.findings.map((f) => [f.ruleId, f.line, f.status])).toEqual([
      ['correctness/off-by-one', 13, 'persisting'],
      ['maintainability/unclear-naming', 12, 'persisting'],
      ['performance/unbounded-growth', 5, 'new'],
    ]);
    expect(second.findings.map((f) => f.fingerprint).slice(0, 2)).toEqual([loopPrint, namingPrint]);
    expect(second.resolved).toEqual([injectionPrint]);
    // Two API requests in all (one per review): the classification cost no model call.
    expect(rt.simulator.messageRequests()).toHaveLength(2);
  });

  it('answers the review as SARIF with ?format=sarif, and a background job as Code Quality on its result', async () => {
    answer([injection]);
    const sarif = await review({ files: files(SUM, DB), previous: { fingerprints: ['0'.repeat(32)] } }, '?format=sarif');
    expect(sarif.status).toBe(200);
    expect(sarif.headers.get('content-type')).toBe('application/sarif+json; charset=utf-8');
    const log = (await sarif.json()) as { version: string; runs: { results: { ruleId: string; level: string; baselineState: string; partialFingerprints: Record<string, string> }[]; properties: { resolvedFingerprints: string[] } }[] };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]?.results.map((r) => [r.ruleId, r.level, r.baselineState])).toEqual([['security/sql-injection', 'error', 'new']]);
    expect(log.runs[0]?.results[0]?.partialFingerprints.primaryLocationLineHash).toMatch(/^[0-9a-f]{32}$/);
    expect(log.runs[0]?.properties.resolvedFingerprints).toEqual(['0'.repeat(32)]);

    answer([injection, growth]);
    const submitted = await postJson(`${rt.url}/v1/plugins/code-review/review`, { files: files(SUM, DB_V2) }, { headers: { prefer: 'respond-async' } });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    await waitUntil(async () => ((await (await fetch(`${rt.url}/v1/jobs/${id}`)).json()) as { state: string }).state === 'succeeded', 60_000, 100);
    const report = await fetch(`${rt.url}/v1/jobs/${id}/result`, { headers: { accept: 'application/vnd.gitlab.codequality+json' } });
    expect(report.headers.get('content-type')).toBe('application/vnd.gitlab.codequality+json; charset=utf-8');
    const issues = (await report.json()) as { check_name: string; severity: string; location: { path: string; lines: { begin: number } } }[];
    expect(issues.map((i) => [i.check_name, i.severity, i.location.path, i.location.lines.begin])).toEqual([
      ['security/sql-injection', 'blocker', 'src/db.ts', 4],
      ['performance/unbounded-growth', 'critical', 'src/db.ts', 5],
    ]);
  });

  it('refuses a format the review does not have before the CLI starts', async () => {
    const res = await review({ files: files(SUM, DB) }, '?format=pdf');
    expect(res.status).toBe(406);
    expect(((await res.json()) as { code: string }).code).toBe('unsupported_format');
    expect(rt.simulator.messageRequests()).toHaveLength(0);
  });
});
