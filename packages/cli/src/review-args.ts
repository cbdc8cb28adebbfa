import { parseArgs } from 'node:util';
import { CliError } from './cli-error';
import { FORMATS, parseFailOn, type ReviewOptions } from './review-command';

/** `ccp review`'s options from its arguments (without the environment's URL and key). */
export type ReviewArgs = Omit<ReviewOptions, 'url' | 'key' | 'cwd'> & { readonly help: boolean };

/** Parses `ccp review`'s arguments, refusing unknown flags and bad values with what to give instead. */
export function parseReviewArgs(args: readonly string[]): ReviewArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      options: {
        base: { type: 'string' },
        head: { type: 'string', default: 'HEAD' },
        local: { type: 'boolean', default: false },
        repository: { type: 'string' },
        format: { type: 'string', default: 'json' },
        output: { type: 'string' },
        report: { type: 'string', multiple: true },
        'fail-on': { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new CliError(`${(err as Error).message}; ccp --help lists the options`);
  }
  const format = values.format as (typeof FORMATS)[number];
  if (!values.help) {
    if (!values.base) throw new CliError('--base is required (the commit to review against, e.g. --base origin/main)');
    if (values.local && values.repository) throw new CliError('give --local or --repository, not both');
    if (!FORMATS.includes(format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')} (got "${values.format}")`);
  }
  const failOn = parseFailOn(values['fail-on']);
  const reports = (values.report ?? []).map((r) => {
    const at = r.indexOf(':');
    const fmt = r.slice(0, at) as (typeof FORMATS)[number];
    if (at < 1 || at === r.length - 1 || !FORMATS.includes(fmt)) throw new CliError(`--report takes FORMAT:FILE, FORMAT one of ${FORMATS.join(', ')} (got "${r}")`);
    return { format: fmt, file: r.slice(at + 1) };
  });
  return {
    help: values.help, base: values.base ?? '', head: values.head, format, quiet: values.quiet,
    ...(values.repository ? { repository: values.repository } : {}),
    ...(values.output ? { output: values.output } : {}),
    ...(failOn ? { failOn } : {}),
    ...(reports.length > 0 ? { reports } : {}),
  };
}
