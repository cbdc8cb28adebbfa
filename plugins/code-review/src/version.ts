/** The plugin's version (its prompt, schemas and rules); reports name it as their tool's version. */
export const PLUGIN_VERSION = '1.1.0';

/** How reports name the tool that found the problems. */
export const TOOL_NAME = 'claude-code-platform code-review';

/** Where a report's reader learns about the tool: Claude Code, which the platform runs to review. */
export const TOOL_URI = 'https://docs.anthropic.com/en/docs/claude-code';
