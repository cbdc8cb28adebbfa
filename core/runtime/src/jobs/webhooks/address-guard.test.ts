import { AddressRefused, forbiddenKind, guardedAddress, type Lookup } from './address-guard';
import { WebhookPolicy } from './webhook-policy';

const fakeDns = (table: Record<string, string[]>): Lookup => async (host) => (table[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

/** The target an allowlist gives for a URL, then the address the guard lets it reach (or why not). */
async function reach(allowed: string[], url: string, dns: Record<string, string[]> = {}): Promise<string> {
  try {
    return (await guardedAddress(new WebhookPolicy(allowed).check(url), fakeDns(dns))).address;
  } catch (err) {
    if (err instanceof AddressRefused) return `refused ${err.kind}`;
    throw err;
  }
}

describe('forbiddenKind', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'reserved'],
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'reserved'],
    ['fe80::1', 'link-local'],
    ['fd12:3456::1', 'private'],
    ['fc00::1', 'private'],
    ['ff02::1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:c0a8:101::1', 'private'],
    ['not an address', 'reserved'],
  ])('%s is %s', (address, kind) => {
    expect(forbiddenKind(address)).toBe(kind);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '172.15.255.255', '100.128.0.1', '169.255.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::'])('%s is public', (address) => {
    expect(forbiddenKind(address)).toBeUndefined();
  });
});

describe('guardedAddress (at delivery time)', () => {
  it('gives the address of a host that resolves to public addresses only', async () => {
    expect(await reach(['https://hooks.example.com/'], 'https://hooks.example.com/ccp', { 'hooks.example.com': ['93.184.216.34', '2606:2800::1'] })).toBe('93.184.216.34');
  });

  it('refuses a host any of whose addresses is loopback, private or link-local, v4 or v6', async () => {
    expect(await reach(['https://hooks.example.com/'], 'https://hooks.example.com/', { 'hooks.example.com': ['127.0.0.1'] })).toBe('refused loopback');
    expect(await reach(['https://hooks.example.com/'], 'https://hooks.example.com/', { 'hooks.example.com': ['93.184.216.34', '10.0.0.7'] })).toBe('refused private');
    expect(await reach(['https://hooks.example.com/'], 'https://hooks.example.com/', { 'hooks.example.com': ['169.254.169.254'] })).toBe('refused link-local');
    expect(await reach(['https://hooks.example.com/'], 'https://hooks.example.com/', { 'hooks.example.com': ['fe80::1'] })).toBe('refused link-local');
    expect(await reach(['https://hooks.example.com/'], 'https://hooks.example.com/', { 'hooks.example.com': ['::ffff:192.168.0.10'] })).toBe('refused private');
  });

  it('calls a private or loopback address only when the allowlist entry names that very address', async () => {
    expect(await reach(['http://127.0.0.1:9000/'], 'http://127.0.0.1:9000/hook')).toBe('127.0.0.1');
    expect(await reach(['http://[::1]:9000/'], 'http://[::1]:9000/hook')).toBe('::1');
    expect(await reach(['http://10.0.0.5/'], 'http://10.0.0.5/hook')).toBe('10.0.0.5');
    // The URL parser writes 2130706433 and 0x7f.1 as 127.0.0.1: the same named address.
    expect(await reach(['http://127.0.0.1:9000/'], 'http://2130706433:9000/hook')).toBe('127.0.0.1');
  });

  it('never lets a host name in an entry permit a private address (its DNS could point anywhere)', async () => {
    expect(await reach(['http://localhost:9000/'], 'http://localhost:9000/hook', { localhost: ['127.0.0.1', '::1'] })).toBe('refused loopback');
    expect(await reach(['https://hooks.tenant.example/'], 'https://hooks.tenant.example/', { 'hooks.tenant.example': ['169.254.169.254'] })).toBe('refused link-local');
  });

  it('refuses a host with no address', async () => {
    await expect(guardedAddress(new WebhookPolicy(['https://gone.example/']).check('https://gone.example/'), fakeDns({}))).rejects.toThrow(/no address/);
  });
});
