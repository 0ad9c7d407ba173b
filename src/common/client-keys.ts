import ipaddr from 'ipaddr.js';
import { hashPersonal } from './tokens';

/** A client address as parsed once for every key below: an IPv4-mapped IPv6 is its IPv4. */
function parseClient(ip: string | null | undefined): ipaddr.IPv4 | ipaddr.IPv6 | null {
  return ip && ipaddr.isValid(ip) ? ipaddr.process(ip) : null;
}

/** The /64 of an IPv6 address: the block one subscriber or host is given. */
function ipv6Prefix(address: ipaddr.IPv6): number[] {
  return address.parts.slice(0, 4);
}

/**
 * What a per-client limit counts. One IPv4 address (an IPv4-mapped IPv6 address is that IPv4
 * address), or one IPv6 /64, the block a single subscriber or host is given: counting single
 * IPv6 addresses would give one client 2^64 budgets. Textual variants of one address
 * (`::1` / `0:0::1`, upper case, leading zeros) are one key.
 */
export function networkKey(ip: string | null | undefined): string {
  const parsed = parseClient(ip);
  if (!parsed) {
    return 'ip:unknown';
  }
  if (parsed.kind() === 'ipv4') {
    return `ip4:${parsed.toString()}`;
  }
  const prefix = ipv6Prefix(parsed as ipaddr.IPv6);
  return `ip6:${new ipaddr.IPv6([...prefix, 0, 0, 0, 0]).toNormalizedString()}/64`;
}

/**
 * The network a client address belongs to, as one canonical string: an IPv4 /24, or an IPv6 /64.
 * Every spelling of one address gives the same string; anything unparsable is returned as it
 * came.
 *
 * Anything that must resist one client (reports that hold a comment, votes that move a score)
 * counts these, not the identifiers a client chooses: a client rotates voter ids and addresses
 * within its network for free, but not networks.
 */
export function networkOf(address: string): string {
  const parsed = parseClient(address);
  if (!parsed) {
    return address;
  }
  if (parsed.kind() === 'ipv4') {
    const [a, b, c] = parsed.toByteArray();
    return `${a}.${b}.${c}.0/24`;
  }
  const prefix = ipv6Prefix(parsed as ipaddr.IPv6).map((p) => p.toString(16));
  return `${prefix.join(':')}::/64`;
}

/** Keyed hash of the network of `address`: comparable, not readable (see networkOf). */
export function networkHash(address: string, secret: string): string {
  return hashPersonal(`net:${networkOf(address)}`, secret);
}

/**
 * One mailbox, whatever the address says: case-insensitive, and `a+tag@x` is `a@x` (subaddresses
 * reach the same inbox). Mirrored in SQL by MAILBOX_SQL.
 */
export function mailboxKey(email: string): string {
  const key = email.trim().toLowerCase();
  const at = key.lastIndexOf('@');
  const plus = key.indexOf('+');
  return plus > 0 && plus < at ? key.slice(0, plus) + key.slice(at) : key;
}

/** mailboxKey() of a column, as SQL (email_outbox_mailbox_idx indexes it for the recipient). */
export function mailboxSql(column: string): string {
  return `regexp_replace(lower(${column}), '^([^+@]+)\\+[^@]*@', '\\1@')`;
}
