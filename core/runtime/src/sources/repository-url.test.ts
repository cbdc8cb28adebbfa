import { repositoryUrlProblem, schemeOf } from './repository-url';

describe('repository URLs', () => {
  it.each([
    ['https://github.com/acme/platform.git', 'https'],
    ['ssh://git@gitlab.example.com:2222/acme/platform.git', 'ssh'],
    ['git@github.com:acme/platform.git', 'ssh'],
    ['file:///srv/git/platform.git', 'file'],
  ])('accepts %s (%s)', (url, scheme) => {
    expect(repositoryUrlProblem(url)).toBeUndefined();
    expect(schemeOf(url)).toBe(scheme);
  });

  it.each([
    ['http://github.com/acme/x.git', /https, not http/],
    ['git://github.com/acme/x.git', /scheme "git" is not allowed/],
    ['ext::sh -c touch% /tmp/pwned', /whitespace/],
    ['ext::sh', /scheme "ext" is not allowed/],
    ['https://user:ghp_secret@github.com/acme/x.git', /must not carry credentials/],
    ['https://x-access-token@github.com/acme/x.git', /must not carry credentials/],
    ['ssh://-oProxyCommand=touch%20x/y', /host that does not start with "-"/],
    ['git@-oProxyCommand=x:y', /must be an https|host must not start/],
    ['-upload-pack=touch x', /whitespace|must not start with "-"/],
    ['file://host/srv/x.git', /no host/],
    ['https://github.com/acme/x.git?ref=main', /query or fragment/],
    ['/srv/git/x.git', /must be an https/],
  ])('refuses %s', (url, problem) => {
    expect(repositoryUrlProblem(url)).toMatch(problem);
  });
});
