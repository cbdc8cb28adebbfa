/** A failure the command reports on stderr before it exits 2: what went wrong and what to do. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** The RFC 9457 problem the platform answered with, when it did. */
export interface Problem {
  readonly status?: number;
  readonly code?: string;
  readonly title?: string;
  readonly detail?: string;
  readonly errors?: readonly { readonly field: string; readonly message: string }[];
}

/** A platform refusal as one error: its status, code and detail (and each field error). */
export function problemError(what: string, problem: Problem, status: number): CliError {
  const fields = (problem.errors ?? []).map((e) => `\n  ${e.field || '(body)'}: ${e.message}`).join('');
  return new CliError(`${what}: ${problem.status ?? status} ${problem.code ?? ''} ${problem.detail ?? problem.title ?? ''}`.replace(/\s+$/, '') + fields);
}
