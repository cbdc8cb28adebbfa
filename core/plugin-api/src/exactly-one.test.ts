import Ajv2020 from 'ajv/dist/2020';
import { z } from 'zod';
import { exactlyOneOf } from './exactly-one';

describe('exactlyOneOf', () => {
  const input = exactlyOneOf(z.strictObject({ files: z.array(z.string()).optional(), diff: z.string().optional(), language: z.string().optional() }), ['files', 'diff'], 'give either "files" or "diff"');
  const published = z.toJSONSchema(input, { target: 'draft-2020-12', io: 'input' });
  const valid = new Ajv2020({ strictRequired: false }).compile(published);

  it('publishes the rule as oneOf with one required key per branch', () => {
    expect(published).toMatchObject({ oneOf: [{ required: ['files'] }, { required: ['diff'] }] });
    expect(published).not.toHaveProperty('required');
  });

  it.each([
    [{ files: ['a'] }, true],
    [{ diff: 'x', language: 'ts' }, true],
    [{ files: ['a'], diff: 'x' }, false],
    [{ language: 'ts' }, false],
    [{}, false],
  ])('%j: the server and the schema both say %s', (body, ok) => {
    const checked = input.safeParse(body);
    expect(checked.success).toBe(ok);
    expect(valid(body)).toBe(ok);
    if (!ok) expect(checked.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['files: give either "files" or "diff"']);
  });
});
