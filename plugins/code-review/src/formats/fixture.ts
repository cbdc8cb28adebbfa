import { finishReview } from '../finish';
import { reviewInput, type ReviewInput, type ReviewOutput, type ReviewResult } from '../schemas';

// Test data for the renderers (not built into dist: see tsconfig.json).

const DB = ['import { pool } from "./pool";', '', 'export async function findUser(id: string) {', '  const { rows } = await pool.query("SELECT * FROM users WHERE id = \'" + id + "\'");', '  return rows[0];', '}', ''].join('\n');
const SUM = ['export function sum(xs: number[]) {', '  let t = 0;', '  for (let i = 0; i <= xs.length; i++) {', '    t += xs[i];', '  }', '  return t;', '}', ''].join('\n');

/** What the agent answered: three findings, one with an exact replacement, one whose text needs escaping. */
export const AGENT_OUTPUT: ReviewOutput = {
  summary: 'The query in `findUser` is injectable; `sum` reads past the end of its array. Fix the injection first.',
  filesReviewed: ['src/db.ts', 'src/sum.ts'],
  findings: [
    {
      file: 'src/db.ts',
      line: 4,
      endLine: 4,
      severity: 'critical',
      category: 'security',
      ruleId: 'security/sql-injection',
      message: 'The id is concatenated into the SQL text, so a caller can run any query',
      suggestion: 'Pass the id as a parameter: `pool.query("SELECT * FROM users WHERE id = $1", [id])`.',
      replacement: '  const { rows } = await pool.query("SELECT * FROM users WHERE id = $1", [id]);',
    },
    {
      file: 'src/sum.ts',
      line: 3,
      endLine: 5,
      severity: 'medium',
      category: 'correctness',
      ruleId: 'correctness/off-by-one',
      message: 'The loop runs while i <= xs.length, so the last step adds xs[xs.length], which is undefined: the sum is NaN.',
      suggestion: 'Stop before the length:\n```ts\nfor (let i = 0; i < xs.length; i++) {\n```',
    },
    {
      file: 'src/sum.ts',
      line: 2,
      severity: 'info',
      // The category disagrees with the rule: the rule wins.
      category: 'correctness',
      ruleId: 'style/readability',
      message: 'A name like `t` | `total` reads better;\n<script>alert(1)</script> @security-team',
      suggestion: 'Rename t to total.',
    },
  ],
};

/** The files reviewed, as a caller submits them, with the fingerprints of an earlier review. */
export function reviewedInput(previous?: readonly string[]): ReviewInput {
  return reviewInput.parse({
    files: [
      { path: 'src/db.ts', content: DB },
      { path: 'src/sum.ts', content: SUM },
      { path: 'src/unread.ts', content: 'export {};\n' },
    ],
    ...(previous ? { previous: { fingerprints: [...previous] } } : {}),
  });
}

/** The review as the caller gets it; with `previous`, an incremental one. */
export function reviewedResult(previous?: readonly string[]): { input: ReviewInput; review: ReviewResult } {
  const input = reviewedInput(previous);
  return { input, review: finishReview(AGENT_OUTPUT, input) };
}
