import { describe, expect, it } from 'vitest';
import { mailboxKey, networkKey } from './client-keys';

describe('networkKey', () => {
  it('an IPv4-mapped IPv6 address is the IPv4 address, however written', () => {
    const key = networkKey('203.0.113.9');
    for (const ip of ['::ffff:203.0.113.9', '::FFFF:cb00:7109', '0:0:0:0:0:ffff:203.0.113.9']) {
      expect(networkKey(ip)).toBe(key);
    }
    expect(networkKey('203.0.113.10')).not.toBe(key);
  });

  it('IPv6 is counted per /64', () => {
    const key = networkKey('2001:db8:1:2::1');
    expect(networkKey('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe(key);
    expect(networkKey('2001:db8:1:3::1')).not.toBe(key);
  });

  it('anything else is one "unknown" key', () => {
    expect(networkKey('not an ip')).toBe(networkKey(undefined));
  });
});

describe('mailboxKey', () => {
  it.each([
    ['a+tag@x.example', 'a@x.example'],
    ['A+Tag@X.Example', 'a@x.example'],
    [' a@x.example ', 'a@x.example'],
    ['+a@x.example', '+a@x.example'],
    ['a+b+c@x.example', 'a@x.example'],
  ])('%s counts as %s', (email, mailbox) => {
    expect(mailboxKey(email)).toBe(mailbox);
  });
});
