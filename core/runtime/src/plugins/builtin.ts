import type { PluginDefinition } from '@ccp/plugin-api';
import { codeReviewPlugin } from '@ccp/plugin-code-review';

/** Plugins that ship with the platform, enabled by id in config. */
export const BUILTIN_PLUGINS: readonly PluginDefinition[] = [codeReviewPlugin];
