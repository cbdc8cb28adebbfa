import { parseFailOn } from './review-command';
import { atOrAbove } from './severity';

describe('--fail-on', () => {
  const findings = ['info', 'low', 'high', 'critical', 'medium'].map((severity) => ({ severity }));
  it('counts the findings at or above the threshold', () => {
    expect(atOrAbove(findings, 'high').map((f) => f.severity)).toEqual(['high', 'critical']);
    expect(atOrAbove(findings, 'critical')).toHaveLength(1);
    expect(atOrAbove(findings, 'info')).toHaveLength(5);
  });
  it('takes a severity or none, and names the choices otherwise', () => {
    expect(parseFailOn('none')).toBeUndefined();
    expect(parseFailOn('medium')).toBe('medium');
    expect(() => parseFailOn('severe')).toThrow('critical, high, medium, low, info or none');
  });
});
