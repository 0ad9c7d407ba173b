import { describe, expect, it } from 'vitest';
import { mailboxKey, networkHash, networkKey, networkOf } from './client-keys';

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

describe('networkOf', () => {
  it('groups IPv4 by /24 and IPv6 by /64, whatever the spelling', () => {
    expect(networkOf('203.0.113.5')).toBe('203.0.113.0/24');
    expect(networkOf('203.0.113.250')).toBe('203.0.113.0/24');
    expect(networkOf('::ffff:203.0.113.77')).toBe('203.0.113.0/24');
    expect(networkOf('::FFFF:cb00:714d')).toBe('203.0.113.0/24');
    expect(networkOf('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(networkOf('2001:0DB8:0001:0002:ffff:0:0:9')).toBe('2001:db8:1:2::/64');
    expect(networkOf('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(networkOf('::1')).toBe('0:0:0:0::/64');
  });

  it('passes anything else through, and hashes networks with the secret', () => {
    expect(networkOf('unknown')).toBe('unknown');
    expect(networkHash('203.0.113.5', 's')).toBe(networkHash('::ffff:203.0.113.9', 's'));
    expect(networkHash('203.0.113.5', 's')).not.toBe(networkHash('203.0.114.5', 's'));
    expect(networkHash('203.0.113.5', 's')).not.toBe(networkHash('203.0.113.5', 't'));
  });
});
