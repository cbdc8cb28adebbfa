import { thrown } from '@ccp/testing';
import { parseConfig } from '../config/load-config';
import { Authenticator, generateKey, hashKey, UnauthenticatedError } from './api-keys';
import { ANONYMOUS } from './caller';

const key = generateKey();
const auth = (enabled = true) => new Authenticator(parseConfig({ auth: { enabled, keys: [{ name: 'ci-bot', sha256: hashKey(key), plugins: ['code-review'] }] } }).auth);

const refusal = (fn: () => unknown) => thrown<UnauthenticatedError>(fn);

describe('Authenticator', () => {
  it('knows a configured key by its hash and never holds the key', () => {
    const caller = auth().authenticate({ authorization: `Bearer ${key}` });
    expect(caller).toMatchObject({ name: 'ci-bot', roles: ['user'], plugins: ['code-review'] });
    expect(JSON.stringify(caller)).not.toContain(key);
    expect(generateKey()).toMatch(/^ccp_[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a missing header with a challenge, and an unknown key as invalid_token', () => {
    const missing = refusal(() => auth().authenticate({}));
    expect(missing).toBeInstanceOf(UnauthenticatedError);
    expect(missing.status).toBe(401);
    expect(missing.challenge).toBe('Bearer realm="claude-code-platform"');
    const unknown = refusal(() => auth().authenticate({ authorization: `Bearer ${key}x` }));
    expect(unknown.challenge).toBe('Bearer realm="claude-code-platform", error="invalid_token"');
    expect(refusal(() => auth().authenticate({ authorization: `Basic ${key}` })).status).toBe(401);
    expect(refusal(() => auth().authenticate({ authorization: 'Bearer' })).status).toBe(401);
  });

  it('lets everyone in as the anonymous caller only when auth is explicitly off', () => {
    expect(auth(false).authenticate({})).toBe(ANONYMOUS);
    expect(parseConfig({}).auth.enabled).toBe(true);
  });

  it('refuses a config with a malformed hash or duplicate names', () => {
    expect(() => parseConfig({ auth: { keys: [{ name: 'a', sha256: 'abc' }] } })).toThrow(/auth\.keys\.0\.sha256/);
    const h = hashKey('x');
    expect(() => parseConfig({ auth: { keys: [{ name: 'a', sha256: h }, { name: 'a', sha256: hashKey('y') }] } })).toThrow(/unique/);
  });
});
