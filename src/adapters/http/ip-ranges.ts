/**
 * Which IP addresses an outbound download must not reach: everything that is not the public
 * internet (loopback, private networks, link-local, cloud metadata services, CGNAT, multicast,
 * documentation and reserved ranges), whichever notation the address arrives in. IPv6 forms that
 * carry an IPv4 address (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`,
 * 6to4 `2002::/16`) are judged by the IPv4 address inside: `::ffff:127.0.0.1` is loopback.
 */
import { BlockList, isIP } from 'node:net';

/** `[network, prefix, name]`: the name goes into logs (never the address itself). */
const INTERNAL_V4: readonly (readonly [string, number, string])[] = [
  ['0.0.0.0', 8, 'this-network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'cgnat'], // also Alibaba Cloud's metadata service, 100.100.100.200
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'], // AWS, GCP, Azure, OpenStack metadata: 169.254.169.254
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'], // and 255.255.255.255
  ['168.63.129.16', 32, 'metadata'], // Azure's wire server: a public address, reachable only from inside
];

const INTERNAL_V6: readonly (readonly [string, number, string])[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['100::', 64, 'reserved'],
  ['2001::', 32, 'reserved'], // Teredo: the IPv4 address inside is obfuscated, so none at all
  ['2001:db8::', 32, 'documentation'],
  ['64:ff9b:1::', 48, 'private'],
  ['fc00::', 7, 'unique-local'], // also AWS's IPv6 metadata service, fd00:ec2::254
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

function blockList(v4: typeof INTERNAL_V4, v6: typeof INTERNAL_V6): Map<string, BlockList> {
  const byName = new Map<string, BlockList>();
  const add = (network: string, prefix: number, name: string, family: 'ipv4' | 'ipv6') => {
    if (!byName.has(name)) byName.set(name, new BlockList());
    byName.get(name)!.addSubnet(network, prefix, family);
  };
  for (const [network, prefix, name] of v4) add(network, prefix, name, 'ipv4');
  for (const [network, prefix, name] of v6) add(network, prefix, name, 'ipv6');
  return byName;
}

const INTERNAL = blockList(INTERNAL_V4, INTERNAL_V6);

/** The 16 bytes of an IPv6 address in any textual form (`::`, embedded dotted IPv4); null if not one. */
export function ipv6Bytes(text: string): Uint8Array | null {
  let address = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIP(address) !== 6) return null;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    address = `${address.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  });
  return bytes;
}

/** The IPv4 address an IPv6 one stands for (mapped, compatible, NAT64, 6to4), else null. */
export function embeddedIPv4(address: string): string | null {
  const b = ipv6Bytes(address);
  if (!b) return null;
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const v4 = (at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4(12); // ::ffff:a.b.c.d
  if (zeros(0, 12) && !zeros(12, 15)) return v4(12); // ::a.b.c.d (deprecated), not :: or ::1
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return v4(12); // 64:ff9b::/96
  if (b[0] === 0x20 && b[1] === 0x02) return v4(2); // 2002:aabb:ccdd::/48
  return null;
}

/** The address as the IPv4 it stands for when it carries one, with its family; null if not an IP. */
export function canonicalAddress(address: string): { address: string; family: 'ipv4' | 'ipv6' } | null {
  const bare = address.replace(/^\[|\]$/g, '');
  const version = isIP(bare);
  if (version === 4) return { address: bare, family: 'ipv4' };
  if (version !== 6) return null;
  const v4 = embeddedIPv4(bare);
  return v4 ? { address: v4, family: 'ipv4' } : { address: bare.replace(/%.*$/, ''), family: 'ipv6' };
}

/**
 * The name of the internal range `address` is in ('loopback', 'private', 'metadata', ...), or
 * null for a public address. Anything that does not parse as an IP counts as internal: a
 * resolver answer we cannot judge is not one we connect to.
 */
export function internalRange(address: string): string | null {
  const canonical = canonicalAddress(address);
  if (!canonical) return 'unparsable';
  for (const [name, list] of INTERNAL) if (list.check(canonical.address, canonical.family)) return name;
  return null;
}

/** A set of CIDR ranges (`127.0.0.0/8`, `::1/128`, a bare address): what a policy allows anyway. */
export class AddressRanges {
  private readonly list = new BlockList();
  readonly isEmpty: boolean;

  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const parsed = parseCidr(cidr);
      if (!parsed) throw new Error(`not an address range: ${cidr}`);
      this.list.addSubnet(parsed.network, parsed.prefix, parsed.family);
    }
    this.isEmpty = cidrs.length === 0;
  }

  has(address: string): boolean {
    const canonical = canonicalAddress(address);
    if (!canonical) return false;
    return this.list.check(canonical.address, canonical.family);
  }
}

/** `10.0.0.0/8`, `fd00::/8`, or one address (`127.0.0.1`: a /32). Null when malformed. */
export function parseCidr(text: string): { network: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const match = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!match) return null;
  const raw = match[1]!.replace(/^\[|\]$/g, '');
  const canonical = canonicalAddress(raw);
  if (!canonical) return null;
  // `::ffff:10.0.0.0/104` is ambiguous (IPv6 bits or IPv4 bits?): ranges carrying IPv4 are written as IPv4.
  if (isIP(raw) === 6 && canonical.family === 'ipv4' && match[2] !== undefined) return null;
  const max = canonical.family === 'ipv4' ? 32 : 128;
  const prefix = match[2] === undefined ? max : Number(match[2]);
  return prefix <= max ? { network: canonical.address, prefix, family: canonical.family } : null;
}

/** The loopback ranges a sandbox (or a bridge whose API runs on the same machine) allows. */
export const LOOPBACK_RANGES: readonly string[] = ['127.0.0.0/8', '::1'];
