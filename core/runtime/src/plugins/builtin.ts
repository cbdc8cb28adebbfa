import type { PluginDefinition } from '@ccp/plugin-api';
import { codeReviewPlugin } from '@ccp/plugin-code-review';
import { docGeneratorPlugin } from '@ccp/plugin-doc-generator';
import { migrationAdvisorPlugin } from '@ccp/plugin-migration-advisor';
import { testHelperPlugin } from '@ccp/plugin-test-helper';

/** Plugins that ship with the platform, enabled by id in config. */
export const BUILTIN_PLUGINS: readonly PluginDefinition[] = [codeReviewPlugin, docGeneratorPlugin, testHelperPlugin, migrationAdvisorPlugin];
