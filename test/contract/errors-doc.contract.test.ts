import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '@ccp/plugin-api';

// docs/errors.md documents every error code, with the status the code answers with.

describe('docs/errors.md', () => {
  const doc = readFileSync(join(__dirname, '../../docs/errors.md'), 'utf8');

  it.each(Object.entries(ERROR_CODES))('documents %s', (code, { status }) => {
    const heading = new RegExp(`^## ${code.replaceAll('_', '-')}\\s*$`, 'm');
    expect(doc).toMatch(heading);
    const section = doc.split(heading)[1]?.split(/^## /m)[0] ?? '';
    expect(section).toContain(`Status: ${status}`);
  });
});
