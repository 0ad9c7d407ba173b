import ipaddr from 'ipaddr.js';

/**
 * What a per-client limit counts. One IPv4 address (an IPv4-mapped IPv6 address is that IPv4
 * address), or one IPv6 /64, the block a single subscriber or host is given: counting single
 * IPv6 addresses would give one client 2^64 budgets. Textual variants of one address
 * (`::1` / `0:0::1`, upper case, leading zeros) are one key.
 */
export function networkKey(ip: string | null | undefined): string {
  if (!ip || !ipaddr.isValid(ip)) {
    return 'ip:unknown';
  }
  const parsed = ipaddr.process(ip);
  if (parsed.kind() === 'ipv4') {
    return `ip4:${parsed.toString()}`;
  }
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `ip6:${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toNormalizedString()}/64`;
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
