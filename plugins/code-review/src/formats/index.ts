import { codeQualityFormat } from './code-quality';
import { markdownFormat } from './markdown';
import { rdjsonFormat } from './rdjson';
import { sarifFormat } from './sarif';

export { codeQualityReport, CODE_QUALITY_SEVERITY } from './code-quality';
export { markdownSummary, MARKDOWN_MARKER } from './markdown';
export { rdjsonResult, RDJSON_SEVERITY } from './rdjson';
export { sarifLog, SARIF_LEVEL } from './sarif';

/** The formats a review can be answered in besides JSON (`?format=` or `Accept`). */
export const REVIEW_FORMATS = [sarifFormat, codeQualityFormat, rdjsonFormat, markdownFormat] as const;
