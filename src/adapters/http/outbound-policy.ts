/**
 * Where attachment downloads may go. A URL in a comment is written by whoever wrote the comment
 * (an app user, anyone on the internet), so the bridge fetches it only if
 * - its scheme is http(s) and its host is on the side's allow-list (the API's own host, the
 *   storage hosts the side documents, and what the operator adds), and
 * - every address the host resolves to, at connection time, is public, or in a range the
 *   operator allowed (the sandbox allows loopback). The check runs inside the HTTP agent's own
 *   `lookup`, on every connection of every hop, so a name that resolves to a public address
 *   when checked and to an internal one when connected (DNS rebinding) is still refused.
 * An IP literal in a URL, whatever its notation (`2130706433`, `0x7f.1`, `[::ffff:127.0.0.1]`),
 * has been normalised by the WHATWG URL parser by the time it is checked here, and Node
 * connects to a literal without a lookup: so literals are checked on the URL itself.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { DownloadRefusal } from '../../ports/attachments';
import { AddressRanges, internalRange, LOOPBACK_RANGES } from './ip-ranges';

/** Why a download was refused before (or while) connecting. Goes into logs; never the URL. */
export type RefusalReason = Exclude<DownloadRefusal, 'too-slow'>;

/** A refusal by policy: a plain error (it is raised inside the agent); the adapter classifies it. */
export class PolicyRefusal extends Error {
  override readonly name = 'PolicyRefusal';
  readonly code = 'EOUTBOUNDPOLICY';
  constructor(
    readonly reason: RefusalReason,
    /** For an address refused: the range's name ('loopback', 'metadata'...), never the address. */
    readonly range: string | null = null,
  ) {
    super(`refused by the outbound policy: ${reason}${range ? ` (${range})` : ''}`);
  }
}

/** `dns.lookup` with `all: true`, injectable so tests can play a resolver that lies. */
export type Resolver = (hostname: string, options: LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

export interface DownloadPolicy {
  /**
   * Hosts files may come from, written as a URL's host: `files.example.com` (default port only),
   * `127.0.0.1:4010`, `[::1]:8080`, or `*.example.com` (any subdomain, default port).
   */
  hosts: readonly string[];
  /** Internal ranges that may be reached anyway (`127.0.0.0/8`, `10.1.2.3`); default none. */
  allowedAddresses: readonly string[];
  resolve?: Resolver;
  /** CA certificates trusted instead of the system's (storage on a private PKI; tests' throwaway CA). */
  ca?: string | Buffer;
}

/** What an operator adds to a side's defaults (see `downloadPolicyFor`). */
export interface DownloadPolicyOptions {
  /** Hosts beyond the API's own and the side's documented storage. */
  extraHosts?: readonly string[];
  allowedAddresses?: readonly string[];
  resolve?: Resolver;
  ca?: string | Buffer;
}

/** `host` or `host:port` as URL.host spells it, lower case, without a root label's trailing dot. */
export function hostKey(url: URL): string {
  const hostname = url.hostname.toLowerCase().replace(/\.$/, '');
  return url.port === '' ? hostname : `${hostname}:${url.port}`;
}

/** A host pattern as written in configuration, or null when it is not one. */
export function normaliseHostPattern(text: string): string | null {
  const pattern = text.trim().toLowerCase();
  const wildcard = pattern.startsWith('*.');
  let url: URL;
  try {
    url = new URL(`http://${wildcard ? pattern.slice(2) : pattern}`);
  } catch {
    return null;
  }
  // Only a host (and port): anything else (a path, credentials) was not meant as a host.
  if (url.pathname !== '/' || url.search !== '' || url.username !== '' || url.password !== '') return null;
  const key = hostKey(url);
  if (url.hostname === '' || (wildcard && isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0)) return null;
  return wildcard ? `*.${key}` : key;
}

/** Whether a URL's host is the machine itself: `localhost`, 127.0.0.0/8, `::1` (in any notation). */
export function isLoopbackUrl(url: URL): boolean {
  const hostname = url.hostname.toLowerCase().replace(/\.$/, '');
  // Not `*.localhost`: a resolver is not bound to send those to this machine.
  if (hostname === 'localhost') return true;
  return isIP(hostname.replace(/^\[|\]$/g, '')) !== 0 && internalRange(hostname) === 'loopback';
}

/**
 * A side's policy: its API's own host, its documented storage hosts, what the operator adds.
 * An API the operator configured on loopback (the sandbox, a simulator) makes loopback
 * reachable, still only for hosts on the list (an exact host:port).
 */
export function downloadPolicyFor(apiBaseUrl: string, storageHosts: readonly string[], options: DownloadPolicyOptions = {}): DownloadPolicy {
  const api = new URL(apiBaseUrl);
  return {
    hosts: [hostKey(api), ...storageHosts, ...(options.extraHosts ?? [])],
    allowedAddresses: [...(options.allowedAddresses ?? []), ...(isLoopbackUrl(api) ? LOOPBACK_RANGES : [])],
    ...(options.resolve && { resolve: options.resolve }),
    ...(options.ca && { ca: options.ca }),
  };
}

/** Enforces one `DownloadPolicy`: `check` for each URL (hop), `agentFor` to connect with. */
export class OutboundGuard {
  private readonly exact = new Set<string>();
  private readonly suffixes: { suffix: string; port: string }[] = [];
  private readonly allowed: AddressRanges;
  private readonly resolve: Resolver;
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(policy: DownloadPolicy) {
    for (const entry of policy.hosts) {
      const pattern = normaliseHostPattern(entry);
      if (pattern === null) throw new Error('not a host pattern in the download policy');
      if (!pattern.startsWith('*.')) {
        this.exact.add(pattern);
        continue;
      }
      const [, suffix = '', port = ''] = /^\*(\.[^:]+)(?::(\d+))?$/.exec(pattern) ?? [];
      this.suffixes.push({ suffix, port });
    }
    this.allowed = new AddressRanges(policy.allowedAddresses);
    this.resolve = policy.resolve ?? (dnsLookup as unknown as Resolver);
    const lookup = this.lookup;
    // No keep-alive: every request connects anew, so every connection goes through `lookup`.
    this.agents = {
      http: new http.Agent({ lookup, keepAlive: false }),
      https: new https.Agent({ lookup, keepAlive: false, ...(policy.ca && { ca: policy.ca }) }),
    };
  }

  /** Throws a `PolicyRefusal` unless `url` may be fetched (scheme, host, a literal address). */
  check(url: URL): void {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new PolicyRefusal('not-http');
    if (!this.hostAllowed(url)) throw new PolicyRefusal('host-not-allowed');
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) !== 0) {
      const range = this.deniedRange(literal);
      if (range !== null) throw new PolicyRefusal('address-not-allowed', range);
    }
  }

  agentFor(url: URL): http.Agent {
    return url.protocol === 'https:' ? this.agents.https : this.agents.http;
  }

  /** The internal range `address` is in, unless the policy allows it; null when it may be reached. */
  deniedRange(address: string): string | null {
    const range = internalRange(address);
    return range !== null && !this.allowed.has(address) ? range : null;
  }

  private hostAllowed(url: URL): boolean {
    const key = hostKey(url);
    if (this.exact.has(key)) return true;
    const hostname = url.hostname.toLowerCase().replace(/\.$/, '');
    return this.suffixes.some(({ suffix, port }) => hostname.endsWith(suffix) && url.port === port);
  }

  /**
   * The agent's resolver: every address of the answer must pass, or none is used (an answer
   * mixing public and internal addresses is a rebinding attempt, not a choice to make).
   */
  private readonly lookup = ((hostname: string, options: { all?: boolean; family?: number }, callback: (...args: unknown[]) => void) => {
    this.resolve(hostname, { family: options.family ?? 0, all: true }, (err, addresses) => {
      if (err) return callback(err);
      if (addresses.length === 0) return callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }));
      for (const { address } of addresses) {
        const range = this.deniedRange(address);
        if (range !== null) return callback(new PolicyRefusal('address-not-allowed', range));
      }
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  }) as unknown as LookupFunction;
}
