export { codeReviewPlugin, renderReviewPrompt } from './plugin';
export * from './schemas';
