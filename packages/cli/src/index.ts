export { ApiClient, type JobDocument, type JobEvent } from './api-client';
export { CliError } from './cli-error';
export { readLocalChange, type LocalChange } from './local-changes';
export { review, type ReviewOptions } from './review-command';
export { atOrAbove, SEVERITIES, type Severity } from './severity';
export { parseReviewArgs, type ReviewArgs } from './review-args';
