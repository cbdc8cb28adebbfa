import { CliError } from './cli-error';
import { parseReviewArgs } from './review-args';
import { FORMATS, review } from './review-command';

const HELP = `ccp — the Claude Code Platform's command for pipelines

Usage:
  ccp review --base <ref> [--head <ref>] [--local | --repository <name>]
             [--format ${FORMATS.join('|')}] [--output <file>] [--report <format>:<file> …] [--fail-on critical|high|medium|low|info|none] [--quiet]

  --base        the commit the change is reviewed against (e.g. origin/main)
  --head        the commit reviewed (default HEAD)
  --local       send the diff base...head and the changed files with their neighbours from this checkout
                (the default; for runners where the platform cannot reach the git host)
  --repository  a repository the platform reads itself (its config's repositories:), by name
  --format      the report written: json (default), sarif, codequality, rdjson, markdown
  --output      write the report to this file (default: stdout)
  --report      FORMAT:FILE, repeatable: more reports of the same review (e.g. --report sarif:ccp.sarif
                --report rdjson:ccp.rdjson); the model runs once for all of them
  --fail-on     exit 1 when a finding is at or above this severity (default: none)
  --quiet       no progress on stderr

Environment: CCP_URL (the platform, e.g. https://ccp.example.com), CCP_KEY (an API key).
Exit codes: 0 reviewed (nothing at or above --fail-on), 1 findings at or above --fail-on, 2 an error (stderr says what).
`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command ? 0 : 2;
  }
  if (command !== 'review') throw new CliError(`unknown command "${command}"; ccp --help lists the commands`);
  const args = parseReviewArgs(rest);
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const url = process.env.CCP_URL;
  const key = process.env.CCP_KEY;
  if (!url) throw new CliError('CCP_URL is not set: the address of the platform, e.g. https://ccp.example.com');
  if (!key) throw new CliError('CCP_KEY is not set: an API key of the platform (npm run keys -- create …)');
  return review({ ...args, cwd: process.cwd(), url, key });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof CliError ? err.message : err instanceof Error && err.name === 'TypeError' && 'code' in err ? err.message : `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
    process.stderr.write(`ccp: ${message}\n`);
    process.exit(2);
  },
);
