import type { PluginDefinition } from '@ccp/plugin-api';
import { codeReviewPlugin } from '@ccp/plugin-code-review';
import { docGeneratorPlugin } from '@ccp/plugin-doc-generator';
import { migrationAdvisorPlugin } from '@ccp/plugin-migration-advisor';
import { testHelperPlugin } from '@ccp/plugin-test-helper';

/**
 * The plugins that ship with the platform: the only place that names them. Each is served
 * unless its config section says `enabled: false`.
 */
export const BUILTIN_PLUGINS: readonly PluginDefinition[] = [codeReviewPlugin, docGeneratorPlugin, testHelperPlugin, migrationAdvisorPlugin];
