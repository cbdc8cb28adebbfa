import { z } from 'zod';

/**
 * A branch, tag or other ref name, or a commit SHA, as a caller may name one: a portable
 * subset of `git check-ref-format` (letters, digits and `._/+@=-`; no `..`, `@{`, `//`,
 * leading `-` or `.`, no `.` after a `/`, no trailing `/`, `.` or `.lock`). What it lets
 * through can neither be read by git as an option nor as a revision expression.
 */
export const GIT_REF_PATTERN = String.raw`^(?!-)(?!\.)(?!.*\.\.)(?!.*@\{)(?!.*//)(?!.*/\.)(?!.*\.lock(?:/|$))(?!.*[/.]$)[A-Za-z0-9._/+@=-]{1,255}$`;

/** A repository's name in the platform config (`repositories[].name`). */
export const REPOSITORY_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$';

/** A ref or commit SHA (see {@link GIT_REF_PATTERN}). */
export const gitRef = z.string().regex(new RegExp(GIT_REF_PATTERN), 'must be a branch, tag or ref name (refs/pull/12/head), or a commit SHA');

/**
 * An input field naming a repository the platform reads itself, instead of files in the
 * body: the platform resolves `head` and `base`, computes the diff `base...head` and puts
 * the whole `head` tree in the workspace. `repository` must be configured by the operator
 * (`repositories:`); any other name is refused before anything is fetched.
 */
export const repositorySource = z
  .strictObject({
    repository: z.string().regex(new RegExp(REPOSITORY_NAME_PATTERN), 'must be a repository name: letters, digits, ".", "_" or "-"').describe('A repository this deployment is configured to read (its `repositories:` list)'),
    head: gitRef.describe('The commit to review: a branch, tag, ref (refs/pull/12/head) or commit SHA'),
    base: gitRef.optional().describe("What head is compared with: the diff is base...head (from their merge base). The repository's default branch when absent"),
  })
  .describe('A repository the platform reads itself: the head tree is in the workspace, the diff base...head in the prompt');

/** What a caller names in a {@link repositorySource} field. */
export type RepositorySource = z.output<typeof repositorySource>;

/** How a file changed between the merge base and head. */
export type ChangeStatus = 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'type-changed';

/** One file the change touches, with its part of the diff. */
export interface ChangedFile {
  /** Its path at head (for a deleted file, the path it had). */
  readonly path: string;
  /** Its path at the merge base, for a renamed or copied file. */
  readonly previousPath?: string;
  readonly status: ChangeStatus;
  /** Git saw binary content: `diff` says only that it differs. */
  readonly binary: boolean;
  /** The file's part of the unified diff, from its `diff --git` line. */
  readonly diff: string;
}

/** A {@link RepositorySource} as the platform resolved it, handed to `prepare` and `finish`. */
export interface ResolvedSource {
  readonly repository: string;
  /** The ref the caller gave and the commit it named when the call ran. */
  readonly head: { readonly ref: string; readonly commit: string };
  readonly base: { readonly ref: string; readonly commit: string };
  /** Where head's history left base's: the diff runs from here to head. */
  readonly mergeBase: string;
  readonly changedFiles: readonly ChangedFile[];
  /**
   * The operation's configuration file at head (see {@link SourceSupport.configFile}),
   * parsed and validated by its schema; undefined when head has no such file.
   */
  readonly config?: unknown;
}

/** Declares that an operation's input may carry a repository `source` field. */
export interface SourceSupport {
  /**
   * A YAML file the operation reads from the repository at head (e.g. `.ccp/review.yaml`).
   * The platform parses it and validates it with `schema`; a broken file is a 400 naming
   * the problem and its line, before anything runs.
   */
  readonly configFile?: { readonly path: string; readonly schema: z.ZodType };
}

/** What `prepare` learns besides the input: what the platform resolved for it. */
export interface PrepareContext {
  /** Present when the input names a repository `source`. */
  readonly source?: ResolvedSource;
}
