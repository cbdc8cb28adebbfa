import type { ChangedFile, ResolvedSource } from '@ccp/plugin-api';
import { minimatch } from 'minimatch';
import { z } from 'zod';
import { SEVERITIES, type Severity } from './severities';

/** Finding severities, most severe first. */

/** Where the repository keeps its review settings, read at head. */
export const REVIEW_CONFIG_PATH = '.ccp/review.yaml';

const glob = z.string().min(1).max(200).describe('A glob over repository paths, e.g. "src/**/*.ts" ("**" crosses directories; dotfiles match)');

/**
 * Review settings: in the repository as `.ccp/review.yaml` at head, or in the request as
 * `config` (its keys override the file's, key by key).
 */
export const reviewConfig = z
  .strictObject({
    include: z.array(glob).min(1).max(100).optional().describe('Changed paths to review; every changed path when absent'),
    exclude: z.array(glob).max(100).optional().describe('Changed paths not to review, even when included'),
    instructions: z
      .array(z.strictObject({ path: glob, text: z.string().min(1).max(2000).describe('What the reviewer should check in these paths') }))
      .max(50)
      .optional()
      .describe('Extra instructions for changed paths that match'),
    minSeverity: z.enum(SEVERITIES).optional().describe('Findings below this severity are left out'),
    maxFindings: z.number().int().min(1).max(500).optional().describe('At most this many findings, the most severe first'),
  })
  .describe(`Review settings for a repository source; the same keys as ${REVIEW_CONFIG_PATH}, whose values they override key by key`);

export type ReviewConfig = z.output<typeof reviewConfig>;

/** The settings in force and where each came from, for the reasons given to the caller. */
export interface ReviewSettings {
  readonly config: ReviewConfig;
  readonly origin: (key: keyof ReviewConfig) => string;
}

/** The repository's settings with the request's laid over them, key by key. */
export function reviewSettings(requested: ReviewConfig | undefined, source: ResolvedSource | undefined): ReviewSettings {
  const file = (source?.config ?? {}) as ReviewConfig;
  const config = { ...file, ...Object.fromEntries(Object.entries(requested ?? {}).filter(([, v]) => v !== undefined)) } as ReviewConfig;
  return { config, origin: (key) => (requested?.[key] !== undefined ? "the request's config" : REVIEW_CONFIG_PATH) };
}

const matches = (path: string, pattern: string) => minimatch(path, pattern, { dot: true });

/** A changed file the settings leave out, and why. */
export interface FilteredFile {
  readonly path: string;
  readonly reason: string;
}

/** Splits the change into the files reviewed and those the path filters leave out. */
export function filterChanges(files: readonly ChangedFile[], settings: ReviewSettings): { reviewed: ChangedFile[]; filtered: FilteredFile[] } {
  const { include, exclude } = settings.config;
  const reviewed: ChangedFile[] = [];
  const filtered: FilteredFile[] = [];
  for (const file of files) {
    const excludedBy = exclude?.find((p) => matches(file.path, p));
    if (include && !include.some((p) => matches(file.path, p))) filtered.push({ path: file.path, reason: `matches no include pattern (${include.join(', ')}) of ${settings.origin('include')}` });
    else if (excludedBy) filtered.push({ path: file.path, reason: `excluded by "${excludedBy}" in ${settings.origin('exclude')}` });
    else reviewed.push(file);
  }
  return { reviewed, filtered };
}

/** Whether the path filters leave `path` out. */
export function isFiltered(path: string, config: ReviewConfig): boolean {
  return (config.include !== undefined && !config.include.some((p) => matches(path, p))) || (config.exclude ?? []).some((p) => matches(path, p));
}

/** The instructions that apply to some reviewed file, with the files they apply to. */
export function instructionsFor(files: readonly ChangedFile[], config: ReviewConfig): { path: string; text: string; files: string[] }[] {
  return (config.instructions ?? []).flatMap((i) => {
    const hit = files.filter((f) => matches(f.path, i.path)).map((f) => f.path);
    return hit.length > 0 ? [{ ...i, files: hit }] : [];
  });
}

/**
 * Applies `minSeverity` and `maxFindings` (keeping the most severe) and drops findings on
 * paths the filters leave out; the order of what is kept is the agent's.
 */
export function limitFindings<F extends { severity: Severity; file: string }>(findings: readonly F[], config: ReviewConfig): { kept: F[]; omitted: number } {
  const floor = SEVERITIES.indexOf(config.minSeverity ?? 'info');
  const eligible = findings.filter((f) => SEVERITIES.indexOf(f.severity) <= floor && !isFiltered(f.file, config));
  const max = config.maxFindings ?? eligible.length;
  const chosen = new Set([...eligible].sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity)).slice(0, max));
  const kept = eligible.filter((f) => chosen.has(f));
  return { kept, omitted: findings.length - kept.length };
}
