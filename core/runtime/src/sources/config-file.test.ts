import { PlatformError } from '@ccp/plugin-api';
import { z } from 'zod';
import { parseConfigFile } from './config-file';

const schema = z.strictObject({ include: z.array(z.string()).optional(), minSeverity: z.enum(['high', 'low']).optional(), maxFindings: z.number().int().optional() });
const problem = (text: string) => {
  try {
    parseConfigFile(text, '.ccp/review.yaml', 'a'.repeat(40), schema);
  } catch (err) {
    return err as PlatformError;
  }
  throw new Error('no problem found');
};

describe('a configuration file read from a repository', () => {
  it('parses and validates; an empty file is an empty mapping', () => {
    expect(parseConfigFile('include:\n  - src/**\nmaxFindings: 5\n', 'c.yaml', 'a'.repeat(40), schema)).toEqual({ include: ['src/**'], maxFindings: 5 });
    expect(parseConfigFile('', 'c.yaml', 'a'.repeat(40), schema)).toEqual({});
    expect(parseConfigFile('# nothing yet\n', 'c.yaml', 'a'.repeat(40), schema)).toEqual({});
  });

  it('names the line of a YAML syntax error', () => {
    const err = problem('include:\n  - src/**\nminSeverity: [\nmaxFindings: 3\n');
    expect(err.code).toBe('invalid_repository_config');
    expect(err.status).toBe(400);
    expect(err.extras.errors?.[0]).toEqual({ field: '.ccp/review.yaml', message: expect.stringMatching(/^line \d+: /) });
    expect(err.detail).toMatch(/^\.ccp\/review\.yaml at aaaaaaaaaaaa is not valid: line \d+: /);
  });

  it('names the line and the key of each value the schema refuses, and of an unknown key', () => {
    const err = problem('include:\n  - src/**\n  - 3\nminSeverity: urgent\nbogus: true\n');
    expect(err.extras.errors?.map((e) => e.message)).toEqual([
      expect.stringMatching(/^line 3: include\.1: .*expected string/),
      expect.stringMatching(/^line 4: minSeverity: /),
      'line 5: bogus: unknown key',
    ]);
  });

  it('refuses repeated keys', () => {
    expect(problem('maxFindings: 1\nmaxFindings: 2\n').extras.errors?.[0]?.message).toMatch(/^line 2: .*unique/i);
  });
});
