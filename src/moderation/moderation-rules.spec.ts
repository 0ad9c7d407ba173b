import { describe, expect, it } from 'vitest';
import { DEFAULT_MODERATION_SETTINGS, ModerationSettings, judge } from './moderation-policy';
import { countLinks, emailMatches, ipMatches, wordMatcher } from './moderation-rules';

const settings = (over: Partial<ModerationSettings> = {}): ModerationSettings => ({
  mode: 'none',
  ...DEFAULT_MODERATION_SETTINGS,
  ...over,
});

const submission = {
  body: 'A thoughtful comment.',
  authorName: 'Ann',
  authorEmail: 'ann@example.com',
  ip: '203.0.113.7',
  honeypotFilled: false,
  trustedAuthor: false,
};

describe('word matching', () => {
  const match = wordMatcher(['viagra', 'bad word', 'ass', 'кот']);

  it('is case-insensitive and whole-word', () => {
    expect(match('Buy VIAGRA now')).toEqual(['viagra']);
    expect(match('a classic passage')).toEqual([]);
    expect(match('you ass!')).toEqual(['ass']);
    expect(match('this is a Bad Word.')).toEqual(['bad word']);
  });

  it('does not fall for zero-width characters or full-width letters', () => {
    expect(match('vi\u200bag\u200dra')).toEqual(['viagra']);
    expect(match('vi\u00adagra')).toEqual(['viagra']);
    expect(match('ＶＩＡＧＲＡ')).toEqual(['viagra']);
  });

  it('is Unicode-aware at word boundaries', () => {
    expect(match('Мой КОТ спит')).toEqual(['кот']);
    expect(match('котенок')).toEqual([]);
    expect(match('éviagra')).toEqual([]);
  });

  it('treats words as text, not as regular expressions', () => {
    expect(wordMatcher(['a.b'])('axb')).toEqual([]);
    expect(wordMatcher(['(x'])('say (x now')).toEqual(['(x']);
  });

  // Lists are compiled once and kept: a changed list must still match its own words at once.
  it('follows a list as it changes, never answering with another list kept before it', () => {
    expect(wordMatcher(['spam'])('spam and eggs')).toEqual(['spam']);
    expect(wordMatcher(['eggs'])('spam and eggs')).toEqual(['eggs']);
    expect(wordMatcher(['spam', 'eggs'])('spam and eggs')).toEqual(['spam', 'eggs']);
    expect(wordMatcher(['spam,eggs'])('spam and eggs')).toEqual([]);
    expect(wordMatcher([])('spam and eggs')).toEqual([]);
    for (let i = 0; i < 40; i += 1) {
      expect(wordMatcher([`word${i}`])(`a word${i} b word${i + 1}`)).toEqual([`word${i}`]);
    }
    expect(wordMatcher(['spam'])('spam and eggs')).toEqual(['spam']);
  });
});

describe('links, emails, ips', () => {
  it('counts links in markdown source', () => {
    expect(countLinks('see https://a.test and [b](http://b.test) or www.c.test')).toBe(3);
    expect(countLinks('no links here, just a.b')).toBe(0);
  });

  it('matches exact addresses and *@domain patterns with subdomains', () => {
    expect(emailMatches('Spam@Evil.test', ['spam@evil.test'])).toBe('spam@evil.test');
    expect(emailMatches('x@mail.evil.test', ['*@evil.test'])).toBe('*@evil.test');
    expect(emailMatches('x@notevil.test', ['*@evil.test'])).toBeNull();
  });

  it('follows a blocked ip list as it changes', () => {
    expect(ipMatches('10.1.2.3', ['10.0.0.0/8'])).toBe('10.0.0.0/8');
    expect(ipMatches('10.1.2.3', ['192.0.2.0/24'])).toBeNull();
    expect(ipMatches('10.1.2.3', [])).toBeNull();
    expect(ipMatches('10.1.2.3', ['not an address', '10.1.2.3'])).toBe('10.1.2.3');
    for (let i = 0; i < 40; i += 1) {
      expect(ipMatches(`10.0.${i}.1`, [`10.0.${i}.0/24`])).toBe(`10.0.${i}.0/24`);
    }
    expect(ipMatches('10.1.2.3', ['10.0.0.0/8'])).toBe('10.0.0.0/8');
  });

  it('matches ips and CIDR ranges, v4-mapped v6 included', () => {
    expect(ipMatches('10.1.2.3', ['10.0.0.0/8'])).toBe('10.0.0.0/8');
    expect(ipMatches('::ffff:10.1.2.3', ['10.0.0.0/8'])).toBe('10.0.0.0/8');
    expect(ipMatches('2001:db8::1', ['2001:db8::/32'])).toBe('2001:db8::/32');
    expect(ipMatches('11.0.0.1', ['10.0.0.0/8', '2001:db8::/32'])).toBeNull();
    expect(ipMatches('192.0.2.1', ['192.0.2.1'])).toBe('192.0.2.1');
  });
});

describe('judge', () => {
  it('approves a plain comment with mode none', () => {
    expect(judge(submission, settings())).toEqual({ status: 'approved', reasons: [] });
  });

  it('holds first comments in mode first, not trusted authors', () => {
    expect(judge(submission, settings({ mode: 'first' })).status).toBe('pending');
    expect(judge({ ...submission, trustedAuthor: true }, settings({ mode: 'first' })).status).toBe(
      'approved',
    );
  });

  it('holds too many links and hold words, naming each reason', () => {
    const verdict = judge(
      { ...submission, body: 'http://a.test http://b.test http://c.test cheap' },
      settings({ holdWords: ['cheap'] }),
    );
    expect(verdict.status).toBe('pending');
    expect(verdict.reasons).toEqual(['3 links (more than 2)', 'hold word "cheap"']);
  });

  it('marks spam for block words, blocked emails, ips and the honeypot, over any hold', () => {
    const verdict = judge(
      { ...submission, body: 'casino', honeypotFilled: true, ip: '10.0.0.9' },
      settings({ mode: 'all', blockWords: ['casino'], blockedIps: ['10.0.0.0/24'] }),
    );
    expect(verdict.status).toBe('spam');
    expect(verdict.reasons).toEqual([
      'honeypot field filled',
      'block word "casino"',
      'blocked ip 10.0.0.0/24',
    ]);
    expect(judge(submission, settings({ blockedEmails: ['*@example.com'] })).reasons).toEqual([
      'blocked email *@example.com',
    ]);
  });
});
