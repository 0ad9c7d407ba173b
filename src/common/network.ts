import ipaddr from 'ipaddr.js';
import { hashPersonal } from './tokens';

/**
 * The network a client address belongs to, as one canonical string: an IPv4 /24, or an IPv6 /64
 * (one subscriber's allocation). An IPv4-mapped IPv6 address is its IPv4 address, and every
 * spelling of one address gives the same string. Anything unparsable is returned as it came.
 *
 * Anything that must resist one client (reports that hold a comment, votes that move a score)
 * counts these, not the identifiers a client chooses: a client rotates voter ids and addresses
 * within its network for free, but not networks.
 */
export function networkOf(address: string): string {
  if (!ipaddr.isValid(address)) {
    return address;
  }
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  if (parsed.kind() === 'ipv4') {
    const [a, b, c] = parsed.toByteArray();
    return `${a}.${b}.${c}.0/24`;
  }
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
}

/** Keyed hash of the network of `address`: comparable, not readable (see networkOf). */
export function networkHash(address: string, secret: string): string {
  return hashPersonal(`net:${networkOf(address)}`, secret);
}
