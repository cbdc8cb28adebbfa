import { emptyValue, initialValue, isFileList, validate } from './schema-form';

const files = { type: 'array', minItems: 1, items: { type: 'object', properties: { path: { type: 'string', minLength: 1 }, content: { type: 'string' } }, required: ['path', 'content'], additionalProperties: false } };
const schema = {
  type: 'object',
  properties: { files, style: { type: 'string', enum: ['tsdoc', 'jsdoc'] }, depth: { type: 'integer', minimum: 1, maximum: 3, default: 2 }, note: { type: 'string' } },
  required: ['files', 'style', 'depth'],
  additionalProperties: false,
};

describe('schema-form', () => {
  it('starts from the example, else from defaults and the first enum value, with one empty file', () => {
    expect(initialValue(schema, { files: [], style: 'jsdoc', depth: 1 })).toEqual({ files: [], style: 'jsdoc', depth: 1 });
    expect(emptyValue(schema)).toEqual({ files: [{ path: '', content: '' }], style: 'tsdoc', depth: 2 });
  });

  it('knows a list of workspace files (the form offers a file picker for it)', () => {
    expect(isFileList(files)).toBe(true);
    expect(isFileList({ type: 'array', items: { type: 'string' } })).toBe(false);
  });

  it('reports each broken field by its dotted path, in zod words', () => {
    expect(validate(schema, { files: [{ path: 'a.ts', content: '' }], style: 'md', depth: 4, extra: true })).toEqual([
      { field: 'style', message: 'Invalid option: expected one of "tsdoc"|"jsdoc"' },
      { field: 'depth', message: 'Too big: expected number to be <=3' },
      { field: 'extra', message: 'unknown field(s); remove extra' },
    ]);
    expect(validate(schema, { files: [], style: 'tsdoc', depth: 1.5 })).toEqual([
      { field: 'files', message: 'submit at least one file' },
      { field: 'depth', message: 'Invalid input: expected int, received number' },
    ]);
    expect(validate(schema, { files: [{ path: 'a.ts', content: 'x' }], style: 'tsdoc', depth: 1 })).toEqual([]);
  });
});
