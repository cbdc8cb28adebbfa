/**
 * Every problem found in the configuration, reported together: the config file's schema,
 * the plugins it loads and the plugin ids it names. `source` says what was checked (the
 * files read, or `(inline)`); each problem starts with its config path.
 */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid configuration (${source}), ${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}:\n  - ${problems.join('\n  - ')}`);
  }
}
