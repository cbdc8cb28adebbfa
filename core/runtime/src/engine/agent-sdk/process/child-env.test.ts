import { buildChildEnv } from './child-env';

const claude = { maxRetries: 1 };

describe('buildChildEnv', () => {
  it('passes an allowlist, never the rest of the environment', () => {
    const env = buildChildEnv(
      { PATH: '/bin', HOME: '/home/x', HTTPS_PROXY: 'http://proxy:3128', AWS_SECRET_ACCESS_KEY: 'leak', DATABASE_URL: 'postgres://leak', CCP_CONFIG: 'x' },
      { anthropicApiKey: 'sk-ant-1', anthropicBaseUrl: 'http://127.0.0.1:1' },
      claude,
    );
    expect(env).toMatchObject({ PATH: '/bin', HOME: '/home/x', HTTPS_PROXY: 'http://proxy:3128', ANTHROPIC_API_KEY: 'sk-ant-1', ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' });
    expect(JSON.stringify(env)).not.toContain('leak');
    expect(env.CCP_CONFIG).toBeUndefined();
    expect(env.CLAUDE_CONFIG_DIR).toBeUndefined();
    expect(env.CLAUDE_CODE_MAX_RETRIES).toBe('1');
    expect(env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC).toBe('1');
    expect(env.CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK).toBe('1');
  });

  it('hands over exactly one credential, the API key first', () => {
    const both = buildChildEnv({}, { anthropicApiKey: 'k', claudeOauthToken: 't' }, claude);
    expect(both.ANTHROPIC_API_KEY).toBe('k');
    expect(both.CLAUDE_CODE_OAUTH_TOKEN).toBeUndefined();
    expect(buildChildEnv({}, { claudeOauthToken: 't' }, claude).CLAUDE_CODE_OAUTH_TOKEN).toBe('t');
  });
});
