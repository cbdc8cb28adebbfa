import { writeFile } from 'node:fs/promises';
import { ApiClient, type JobDocument } from './api-client';
import { CliError, problemError } from './cli-error';
import { readLocalChange } from './local-changes';
import { Progress } from './progress';
import { atOrAbove, isSeverity, SEVERITIES, type Severity } from './severity';

export const FORMATS = ['json', 'sarif', 'codequality', 'rdjson', 'markdown'] as const;

/** What `ccp review` was asked. */
export interface ReviewOptions {
  readonly base: string;
  readonly head: string;
  /** A repository the platform reads itself (config `repositories:`), else the local checkout (`--local`). */
  readonly repository?: string;
  readonly cwd: string;
  readonly format: (typeof FORMATS)[number];
  readonly output?: string;
  /** More reports of the same review, each in its own format and file (one model run for all). */
  readonly reports?: readonly { readonly format: (typeof FORMATS)[number]; readonly file: string }[];
  readonly failOn?: Severity;
  readonly url: string;
  readonly key: string;
  readonly quiet?: boolean;
}

interface Finding {
  readonly file: string;
  readonly line: number;
  readonly severity: string;
  readonly ruleId?: string;
  readonly message: string;
}

export function parseFailOn(value: string | undefined): Severity | undefined {
  if (value === undefined || value === 'none') return undefined;
  if (!isSeverity(value)) throw new CliError(`--fail-on must be one of ${SEVERITIES.join(', ')} or none (got "${value}")`);
  return value;
}

/**
 * `ccp review`: submits a code review of base...head as a background job, shows its progress
 * on stderr, writes the report, and returns the exit code: 1 when a finding is at or above
 * `--fail-on`, else 0 (failures throw, and the command exits 2).
 */
export async function review(options: ReviewOptions, stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr): Promise<number> {
  const client = new ApiClient(options.url, options.key);
  const progress = new Progress(stderr, options.quiet);
  let input: Record<string, unknown>;
  if (options.repository) {
    input = { source: { repository: options.repository, head: options.head, base: options.base } };
  } else {
    const change = await readLocalChange(options.cwd, options.base, options.head);
    for (const s of change.skipped) progress.note(`ccp: not sent: ${s.path} (${s.reason})`);
    input = { diff: change.diff, ...(change.context.length > 0 ? { context: change.context } : {}) };
    progress.note(`ccp: reviewing ${options.base}...${options.head}: the diff and ${change.context.length} file(s)`);
  }
  const submitted = await client.submit('code-review', 'review', input);
  progress.note(`ccp: job ${submitted.id}`);
  await client.follow(submitted.id, (event) => {
    progress.see(event);
    if (event.type === 'tool') void client.job(submitted.id).then((j) => progress.turnsSoFar(j.progress?.turns ?? 0), () => undefined);
  });
  const job: JobDocument = await client.job(submitted.id);
  if (job.state !== 'succeeded') throw problemError(`the review ${job.state}`, job.error ?? {}, 0);
  const report = await client.result(job.id, options.format);
  if (options.output) await writeFile(options.output, report);
  else if (!options.reports?.length) stdout.write(report.endsWith('\n') ? report : `${report}\n`);
  for (const r of options.reports ?? []) {
    await writeFile(r.file, await client.result(job.id, r.format));
    progress.note(`ccp: ${r.format} report written to ${r.file}`);
  }
  const body = JSON.parse(await client.result(job.id)) as { result?: { findings?: Finding[] } };
  const findings = body.result?.findings ?? [];
  const failing = options.failOn ? atOrAbove(findings, options.failOn) : [];
  progress.note(`ccp: ${findings.length} finding(s)${options.failOn ? `, ${failing.length} at or above ${options.failOn}` : ''}${options.output ? `; report written to ${options.output}` : ''}`);
  for (const f of failing.slice(0, 20)) progress.note(`  ${f.severity} ${f.file}:${f.line} ${f.ruleId ?? ''} ${f.message}`.replace(/\s+/g, ' '));
  return failing.length > 0 ? 1 : 0;
}
