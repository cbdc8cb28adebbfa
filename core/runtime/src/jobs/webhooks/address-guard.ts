import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { bareHost, namedAddress } from './allowed-urls';
import type { WebhookTarget } from './webhook-policy';

/** Why an address may not be called. */
export type AddressKind = 'loopback' | 'private' | 'link-local' | 'reserved';

/** IPv4 ranges a webhook must not reach (RFC 6890 and friends), by kind. */
const IPV4: readonly (readonly [string, number, AddressKind])[] = [
  ['0.0.0.0', 8, 'reserved'], // "this network"
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'private'], // carrier-grade NAT, shared address space
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'], // cloud metadata services live here
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'], // benchmarking
  ['224.0.0.0', 4, 'reserved'], // multicast
  ['240.0.0.0', 4, 'reserved'], // reserved, and 255.255.255.255
];

const IPV6: readonly (readonly [string, number, AddressKind])[] = [
  ['::1', 128, 'loopback'],
  ['::', 96, 'reserved'], // unspecified and the deprecated IPv4-compatible addresses
  ['fc00::', 7, 'private'], // unique local
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'private'], // site-local (deprecated)
  ['ff00::', 8, 'reserved'], // multicast
  ['64:ff9b:1::', 48, 'private'], // local-use NAT64
];

/** The 6to4 (2002::/16) and NAT64 (64:ff9b::/96) forms of an IPv4 range: both reach the IPv4 address they embed. */
function embeddings(ip: string, prefix: number): [string, number][] {
  const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
  const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
  return [
    [`2002:${hex(a, b)}:${hex(c, d)}::`, 16 + prefix],
    [`64:ff9b::${ip}`, 96 + prefix],
  ];
}

const KINDS: readonly { readonly kind: AddressKind; readonly list: BlockList }[] = (['loopback', 'link-local', 'private', 'reserved'] as const).map((kind) => {
  const list = new BlockList();
  for (const [ip, prefix, k] of IPV4) {
    if (k !== kind) continue;
    // An IPv4 rule also matches the IPv4-mapped IPv6 form (::ffff:127.0.0.1) when checked as IPv6.
    list.addSubnet(ip, prefix, 'ipv4');
    for (const [ip6, p6] of embeddings(ip, prefix)) list.addSubnet(ip6, p6, 'ipv6');
  }
  for (const [ip, prefix, k] of IPV6) if (k === kind) list.addSubnet(ip, prefix, 'ipv6');
  return { kind, list };
});

const family = (address: string): 'ipv4' | 'ipv6' => (isIP(address) === 6 ? 'ipv6' : 'ipv4');

/** What kind of address this is when a webhook may not call it (loopback, private, link-local, reserved); undefined for a public one. */
export function forbiddenKind(address: string): AddressKind | undefined {
  if (!isIP(address)) return 'reserved';
  return KINDS.find((k) => k.list.check(address, family(address)))?.kind;
}

/** One address a host name resolved to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to all its addresses (the system resolver, or a fake in tests). */
export type Lookup = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemLookup: Lookup = async (hostname) => (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** A delivery refused because its host resolved to an address a webhook may not call. */
export class AddressRefused extends Error {
  override readonly name = 'AddressRefused';
  constructor(
    readonly kind: AddressKind,
    readonly address: string,
  ) {
    super(`the webhook host resolves to a ${kind} address (${address}); only an allowlist entry that names this address may permit it`);
  }
}

/**
 * The address to deliver to, checked at delivery time: the URL's host is resolved and every
 * address it gives must be public, unless the allowlist entry that let the URL through names
 * that very address as its host (`http://127.0.0.1:9000/` permits 127.0.0.1, and nothing
 * else private). A host *name* in an entry never permits a private address: its DNS could
 * be pointed at a metadata service or an internal host. The caller connects to the address
 * returned, so a second resolution cannot swap it (DNS rebinding).
 */
export async function guardedAddress(target: WebhookTarget, lookup: Lookup): Promise<ResolvedAddress> {
  const host = bareHost(target.url);
  const literal = isIP(host);
  const addresses = literal ? [{ address: host, family: literal as 4 | 6 }] : await lookup(host);
  if (addresses.length === 0) throw new Error(`the webhook host ${host} has no address`);
  const named = namedAddress(target.entry);
  const permitted = named ? new BlockList() : undefined;
  if (named) permitted?.addAddress(named, family(named));
  for (const a of addresses) {
    const kind = forbiddenKind(a.address);
    if (kind && !permitted?.check(a.address, family(a.address))) throw new AddressRefused(kind, a.address);
  }
  return addresses[0] as ResolvedAddress;
}
