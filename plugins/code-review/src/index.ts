export { codeReviewPlugin, renderReviewPrompt } from './plugin';
export * from './schemas';
export { REVIEW_CONFIG_PATH, reviewConfig, SEVERITIES, type ReviewConfig } from './review-config';
