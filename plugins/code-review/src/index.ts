export { codeReviewPlugin, renderReviewPrompt } from './plugin';
export { finishReview } from './finish';
export { fingerprints, linesOfDiff, linesOfFiles, normaliseLine, type SourceLines } from './fingerprint';
export * from './formats';
export { RULES, RULE_IDS, ruleOf, type Rule } from './rules';
export * from './schemas';
export { REVIEW_CONFIG_PATH, reviewConfig, type ReviewConfig } from './review-config';
