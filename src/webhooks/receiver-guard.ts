import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export class ForbiddenReceiverError extends Error {}

type Parsed = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Which receivers a webhook may reach: public unicast addresses only, unless an address falls in
 * a network the operator allowed (WEBHOOK_ALLOWED_NETWORKS). Loopback, private, link-local (cloud
 * metadata at 169.254.169.254), CGNAT, multicast, reserved and unique-local addresses are refused,
 * IPv4-mapped IPv6 included, so an admin token cannot be used to probe the inside network.
 */
export class ReceiverGuard {
  private readonly allowed: [Parsed, number][];

  constructor(allowedNetworks: string[]) {
    this.allowed = allowedNetworks.map((cidr) => ipaddr.parseCIDR(cidr));
  }

  /** Why this address may not be a receiver, or null when it may. */
  refusal(address: string): string | null {
    let ip: Parsed;
    try {
      ip = ipaddr.process(address);
    } catch {
      return `"${address}" is not an IP address`;
    }
    if (this.allowed.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits))) {
      return null;
    }
    const range = ip.range();
    return range === 'unicast' ? null : `${address} is a ${range} address`;
  }

  /**
   * A `lookup` for http.request: resolves, then refuses the connection unless every address is
   * allowed. The socket connects to the address checked here, so a DNS answer that changes
   * between a check and the connection (rebinding) cannot slip through.
   */
  readonly lookup = (
    hostname: string,
    options: { family?: number | string; all?: boolean },
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { all: true }, (error, addresses) => {
      if (error) {
        callback(error, []);
        return;
      }
      for (const a of addresses) {
        const why = this.refusal(a.address);
        if (why) {
          callback(
            new ForbiddenReceiverError(
              `${hostname} resolves to ${a.address}: ${why.replace(`${a.address} is`, 'it is')}`,
            ),
            [],
          );
          return;
        }
      }
      if (options.all) {
        callback(null, addresses);
      } else {
        callback(null, addresses[0].address, addresses[0].family);
      }
    });
  };

  /** Resolves a URL's host and throws ForbiddenReceiverError unless it may be a receiver. */
  async check(url: URL): Promise<void> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) {
      const why = this.refusal(host);
      if (why) {
        throw new ForbiddenReceiverError(why);
      }
      return;
    }
    await new Promise<void>((resolve, reject) => {
      this.lookup(host, { all: true }, (error) => (error ? reject(error) : resolve()));
    });
  }
}

/** A receiver URL as admins may register it: absolute http(s), no credentials, no fragment. */
export function receiverUrlProblem(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'url must be an absolute http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return 'url must be an absolute http(s) URL';
  }
  if (url.username || url.password) {
    return 'url must not carry credentials; the signature authenticates the sender';
  }
  return null;
}
