/** What the banner needs of a served plugin (a runtime registry's entries have it). */
export interface BannerPlugin {
  readonly definition: { readonly id: string; readonly description: string };
  readonly source: string;
  readonly operations: ReadonlyMap<string, { readonly name: string; readonly definition: { readonly description: string; readonly example: unknown } }>;
}

/** What {@link demoBanner} prints from. */
export interface BannerInput {
  /** The demo's base URL. */
  readonly base: string;
  readonly simulatorUrl: string;
  /** The demo's API key. */
  readonly key: string;
  /** The plugins served, in the registry's order. */
  readonly plugins: readonly BannerPlugin[];
  /** The paths of the served OpenAPI document: only these are printed. */
  readonly paths: ReadonlySet<string>;
}

/** `'…'` for a POSIX shell: the value as one word, whatever it holds. */
const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * The demo's banner, computed from what is served: the plugins with their sources, and one
 * call of each, built from its first operation's own example. Every route it prints is a
 * path of the served OpenAPI document, so it cannot name one that does not exist.
 */
export function demoBanner({ base, simulatorUrl, key, plugins, paths }: BannerInput): string {
  const auth = '-H "authorization: Bearer $CCP_KEY"';
  const get = (path: string, line: string) => (paths.has(path) ? [line] : []);
  const width = Math.max(0, ...plugins.map((p) => p.definition.id.length));
  const calls = plugins.flatMap((p) => {
    const op = [...p.operations.values()].find((o) => paths.has(`/v1/plugins/${p.definition.id}/${o.name}`));
    if (!op) return [];
    return [{ id: p.definition.id, op, path: `/v1/plugins/${p.definition.id}/${op.name}`, body: shellQuote(JSON.stringify(op.definition.example)) }];
  });
  const first = calls[0];
  return [
    '',
    `Claude Code Platform demo on ${base} (Messages API simulator on ${simulatorUrl}; no real model is called)`,
    '',
    `Serving ${plugins.length} plugins:`,
    ...plugins.map((p) => `  ${p.definition.id.padEnd(width)}  ${[...p.operations.keys()].join(', ')}  (${p.source})`),
    '',
    `  export CCP_KEY=${key}     # the demo's API key (an admin key)`,
    ...get('/v1/plugins', `  curl -s ${base}/v1/plugins ${auth}`),
    ...get('/health/ready', `  curl -s ${base}/health/ready`),
    ...get('/metrics', `  curl -s ${base}/metrics | grep ccp_`),
    '',
    ...(calls.length > 0 ? ['One call of each plugin, with its own example:'] : []),
    ...calls.flatMap((c) => [`  # ${c.id} ${c.op.name}: ${c.op.definition.description}`, `  curl -s -X POST ${base}${c.path} ${auth} -H 'content-type: application/json' \\`, `       -d ${c.body}`]),
    ...(first
      ? ['', 'The same call streamed as Server-Sent Events:', `  curl -N -X POST ${base}${first.path} ${auth} -H 'accept: text/event-stream' -H 'content-type: application/json' \\`, `       -d ${first.body}`]
      : []),
    ...get('/console', ''),
    ...get('/console', `In a browser: open ${base}/console and paste the demo key.`),
    '',
    'Ctrl-C stops it.',
    '',
  ].join('\n');
}
