/** Areas a caller can ask the reviewer to concentrate on; every rule belongs to one. */
export const FOCUS_AREAS = ['correctness', 'security', 'performance', 'maintainability', 'style'] as const;

export type FocusArea = (typeof FOCUS_AREAS)[number];

/** One kind of problem a finding can name: what CI tools group, suppress and count by. */
export interface Rule {
  /** `<category>/<kebab-name>`; stable: an id is never renamed or reused for another meaning. */
  readonly id: string;
  readonly category: FocusArea;
  /** PascalCase, as SARIF's `reportingDescriptor.name` wants it. */
  readonly name: string;
  /** One sentence. */
  readonly description: string;
}

const rule = (category: FocusArea, slug: string, name: string, description: string): Rule => ({ id: `${category}/${slug}`, category, name, description });

/**
 * Every rule, in a fixed order (a SARIF log's `ruleIndex` points into it). Each category
 * ends with `<category>/other` for a problem no named rule fits. New rules are added at the
 * end of their category; none is removed or renamed, so a fingerprint (which hashes the
 * rule id) and a CI tool's suppressions keep meaning the same thing. README.md lists them.
 */
export const RULES: readonly Rule[] = [
  rule('correctness', 'logic-error', 'LogicError', 'A condition, operator, formula or control flow gives the wrong result.'),
  rule('correctness', 'off-by-one', 'OffByOne', 'A bound, index or range is one too many or one too few.'),
  rule('correctness', 'null-handling', 'NullHandling', 'A null, undefined, empty or missing value is not handled.'),
  rule('correctness', 'error-handling', 'ErrorHandling', 'An error is swallowed, lost, reported wrongly or leaves state inconsistent.'),
  rule('correctness', 'race-condition', 'RaceCondition', 'Concurrent or reordered execution can give a wrong result.'),
  rule('correctness', 'resource-leak', 'ResourceLeak', 'A handle, connection, timer or listener is not released on every path.'),
  rule('correctness', 'type-mismatch', 'TypeMismatch', 'A value is used as a type it is not: a wrong conversion, overflow or precision loss.'),
  rule('correctness', 'other', 'CorrectnessOther', 'A correctness problem no other rule names.'),
  rule('security', 'sql-injection', 'SqlInjection', 'Untrusted input reaches an SQL statement without parameters.'),
  rule('security', 'command-injection', 'CommandInjection', "Untrusted input reaches a shell command or a program's arguments."),
  rule('security', 'path-traversal', 'PathTraversal', 'Untrusted input chooses a file path outside the intended directory.'),
  rule('security', 'cross-site-scripting', 'CrossSiteScripting', 'Untrusted input reaches HTML, a template or a script without escaping.'),
  rule('security', 'missing-authorization', 'MissingAuthorization', 'An action or data is reachable without the check that should guard it.'),
  rule('security', 'input-validation', 'InputValidation', 'Input is trusted without checking its type, size, range or format.'),
  rule('security', 'hardcoded-secret', 'HardcodedSecret', 'A password, key or token is written in the code or its configuration.'),
  rule('security', 'unsafe-deserialization', 'UnsafeDeserialization', 'Untrusted data is deserialised in a way that can run code or build arbitrary objects.'),
  rule('security', 'weak-cryptography', 'WeakCryptography', 'A broken or misused algorithm, mode, key size or source of randomness.'),
  rule('security', 'sensitive-data-exposure', 'SensitiveDataExposure', 'Secrets or personal data reach logs, errors, responses or storage they should not.'),
  rule('security', 'prompt-injection', 'PromptInjection', 'Content tries to give instructions to an AI model reading it.'),
  rule('security', 'other', 'SecurityOther', 'A security problem no other rule names.'),
  rule('performance', 'repeated-work', 'RepeatedWork', 'The same work is done again in a loop or on every call.'),
  rule('performance', 'needless-io', 'NeedlessIo', 'I/O, a query or a network call that could be avoided, batched or cached.'),
  rule('performance', 'needless-allocation', 'NeedlessAllocation', 'Objects, copies or strings allocated on a hot path for no need.'),
  rule('performance', 'unbounded-growth', 'UnboundedGrowth', 'A collection, cache or queue grows without a bound.'),
  rule('performance', 'blocking-call', 'BlockingCall', 'A synchronous or blocking call holds up asynchronous code.'),
  rule('performance', 'other', 'PerformanceOther', 'A performance problem no other rule names.'),
  rule('maintainability', 'unclear-naming', 'UnclearNaming', 'A name says something other than what the thing is or does.'),
  rule('maintainability', 'dead-code', 'DeadCode', 'Code that never runs or whose result is never used.'),
  rule('maintainability', 'duplication', 'Duplication', 'The same logic is written out more than once.'),
  rule('maintainability', 'complexity', 'Complexity', 'A function or module does several things, or is hard to follow.'),
  rule('maintainability', 'missing-tests', 'MissingTests', 'Risky logic that no test covers.'),
  rule('maintainability', 'other', 'MaintainabilityOther', 'A maintainability problem no other rule names.'),
  rule('style', 'readability', 'Readability', 'Code that is harder to read than it needs to be.'),
  rule('style', 'inconsistency', 'Inconsistency', 'Code that breaks the conventions the surrounding code follows.'),
  rule('style', 'other', 'StyleOther', 'A style problem no other rule names.'),
];

/** Every rule id, for the output schema's enum. */
export const RULE_IDS = RULES.map((r) => r.id) as [string, ...string[]];

const byId = new Map(RULES.map((r) => [r.id, r]));

/** The rule with this id; the output schema admits no other. */
export function ruleOf(id: string): Rule {
  const found = byId.get(id);
  if (!found) throw new Error(`unknown rule id "${id}"`);
  return found;
}

/** The rules as the system prompt lists them, one line each. */
export function rulesForPrompt(): string {
  return FOCUS_AREAS.map((c) => `  - ${c}: ${RULES.filter((r) => r.category === c).map((r) => `\`${r.id}\``).join(', ')}`).join('\n');
}
