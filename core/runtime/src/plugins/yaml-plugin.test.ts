import { join } from 'node:path';
import { loadYamlPlugin } from './yaml-plugin';

const fixtures = join(__dirname, '../../../../test/fixtures/plugins');
const examples = join(__dirname, '../../../../config/examples');

const op = {
  description: 'Answer a question.',
  input: { type: 'object', required: ['sql'], properties: { sql: { type: 'string', minLength: 1 } } },
  output: { type: 'object', required: ['answer'], properties: { answer: { type: 'string' } } },
  prompt: 'Answer {{sql}}',
  example: { sql: 'select 1' },
};
const definition = { version: '1.0.0', description: 'd', systemPrompt: 'You answer questions about SQL, briefly.', tools: { allow: [], mode: 'dontAsk' }, operations: { run: op } };
const problems = (def: unknown) => loadYamlPlugin('sql-helper', def, fixtures).problems.map((p) => `${p.path}: ${p.message}`);

describe('loadYamlPlugin', () => {
  it('builds the shipped example', () => {
    const { plugin, problems: found } = loadYamlPlugin('commit-message', 'commit-message.yaml', examples);
    expect(found).toEqual([]);
    expect(plugin?.operations.write?.input.safeParse(plugin.operations.write.example).success).toBe(true);
  });

  it('reports every problem of a broken file in one pass', () => {
    expect(problems('broken-yaml-plugin.yaml')).toEqual(
      expect.arrayContaining([
        'version: must be a semantic version, e.g. 1.0.0',
        expect.stringMatching(/^tools\.allow\.1: Invalid option/),
        'operations.run.prompt: template does not compile: Unclosed section "sql" at 16',
        expect.stringMatching(/^operations\.run\.example\.sql: .*\(the example must be valid input\)$/),
        expect.stringMatching(/^operations\.run\.example: Unrecognized key: "query"/),
      ]),
    );
  });

  it('compiles file templates and checks the cross-field rules even when the schema fails', () => {
    const list = problems({
      ...definition,
      version: 'x',
      systemPromptFile: 'nope.md',
      engine: 'messages',
      operations: { run: { ...op, filesFrom: 'files', files: [{ path: '{{name', content: '{{/x}}' }] } },
    });
    expect(list).toEqual(
      expect.arrayContaining([
        ': give exactly one of systemPrompt and systemPromptFile',
        'operations.run.files.0.path: template does not compile: Unclosed tag at 6',
        'operations.run.files.0.content: template does not compile: Unopened section "x" at 0',
        expect.stringMatching(/^operations\.run: engine "messages" has no workspace/),
        'operations.run.filesFrom: "files" is not a property of the input',
      ]),
    );
  });

  it('reports a file it cannot read and a JSON Schema it cannot use', () => {
    expect(problems('missing.yaml')).toEqual([expect.stringMatching(/^: cannot read .*missing\.yaml \(ENOENT\)$/)]);
    expect(problems({ ...definition, operations: { run: { ...op, input: { type: 'object', properties: { a: { type: 'strin' } } } } } })).toEqual([
      'operations.run.input: not a JSON Schema the platform can use: Unsupported type: strin',
    ]);
  });
});
