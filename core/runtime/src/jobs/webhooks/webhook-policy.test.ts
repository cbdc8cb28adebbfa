import { PlatformError } from '@ccp/plugin-api';
import { allowedUrlProblem } from './allowed-urls';
import { WebhookPolicy } from './webhook-policy';

function verdict(policy: WebhookPolicy, url: string): string {
  try {
    return policy.check(url).url.href;
  } catch (err) {
    return (err as PlatformError).code;
  }
}

describe('WebhookPolicy', () => {
  const policy = new WebhookPolicy(['https://hooks.example.com/ccp', 'http://127.0.0.1:9000/']);

  it.each([
    ['https://hooks.example.com/ccp', 'https://hooks.example.com/ccp'],
    ['https://hooks.example.com/ccp/done?token=abc', 'https://hooks.example.com/ccp/done?token=abc'],
    ['HTTPS://Hooks.Example.COM:443/ccp/x', 'https://hooks.example.com/ccp/x'],
    ['http://127.0.0.1:9000/anything', 'http://127.0.0.1:9000/anything'],
  ])('lets %s through', (url, href) => {
    expect(verdict(policy, url)).toBe(href);
  });

  it.each([
    'https://hooks.example.com/ccpx', // not at a segment boundary
    'https://hooks.example.com/other',
    'https://hooks.example.com/ccp/../admin', // the parser resolves it to /admin
    'https://hooks.example.com/ccp/%2e%2e/admin',
    'http://hooks.example.com/ccp', // another scheme
    'https://hooks.example.com:8443/ccp', // another port
    'https://hooks.example.com.evil.net/ccp',
    'https://evil.net/ccp?https://hooks.example.com/ccp',
    'https://hooks.example.com@evil.net/ccp',
    'https://user:pw@hooks.example.com/ccp', // credentials would be stored with the job
    'https://hooks.example.com/ccp#frag',
    'http://127.0.0.1:9001/',
    'http://127.0.0.2:9000/',
    'http://localhost:9000/',
    'ftp://hooks.example.com/ccp',
    'file:///etc/passwd',
    'not a url',
    `https://hooks.example.com/ccp/${'x'.repeat(2100)}`,
  ])('refuses %s with webhook_not_allowed', (url) => {
    expect(verdict(policy, url)).toBe('webhook_not_allowed');
  });

  it('refuses every webhook while the allowlist is empty, and says webhooks are off', () => {
    expect(() => new WebhookPolicy([]).check('https://hooks.example.com/')).toThrow(/not enabled/);
  });

  it('does not tell a caller what the allowlist holds', () => {
    expect(() => policy.check('https://other.example/')).toThrow(expect.objectContaining({ detail: expect.not.stringContaining('127.0.0.1') }));
  });
});

describe('allowedUrlProblem (config)', () => {
  it.each(['https://hooks.example.com/', 'http://127.0.0.1:9000/', 'http://[::1]:9000/ccp'])('takes %s', (entry) => {
    expect(allowedUrlProblem(entry)).toBeUndefined();
  });

  it.each([
    ['hooks.example.com', /absolute URL/],
    ['ftp://hooks.example.com/', /http/],
    ['https://u:p@hooks.example.com/', /user/],
    ['https://hooks.example.com/?a=1', /query/],
    ['https://hooks.example.com/#x', /fragment/],
  ])('refuses %s', (entry, problem) => {
    expect(allowedUrlProblem(entry)).toMatch(problem);
  });
});
