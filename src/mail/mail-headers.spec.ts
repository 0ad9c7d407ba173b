import { describe, expect, it } from 'vitest';
import { canonicalEmail, emailKey, isDeliverableAddress, senderDomain } from './email-address';
import { mailHeaders, messageIdFor } from './mail-headers';

describe('mail headers', () => {
  it('derives one Message-ID per outbox row under the sender domain', () => {
    expect(messageIdFor('1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed', 'news.example')).toBe(
      '<outbox-1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed@news.example>',
    );
    expect(senderDomain('Marginalia <no-reply@News.Example>')).toBe('news.example');
    expect(senderDomain('a@b.example')).toBe('b.example');
  });

  it('marks list mail and adds one-click unsubscribe only where there is a subscription', () => {
    expect(
      mailHeaders({ stream: 'transactional', domain: 'x.test', unsubscribeUrl: null }),
    ).toEqual({
      'Auto-Submitted': 'auto-generated',
    });
    const newsletter = mailHeaders({
      stream: 'newsletter',
      domain: 'x.test',
      unsubscribeUrl: 'https://x.test/unsubscribe?token=abc',
    });
    expect(newsletter['List-Unsubscribe']).toEqual({
      prepared: true,
      value: '<https://x.test/unsubscribe?token=abc>',
    });
    expect(newsletter['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(newsletter['List-Id']).toEqual({
      prepared: true,
      value: '"Marginalia newsletter" <newsletter.x.test>',
    });
  });
});

describe('email addresses', () => {
  it('accepts one plain address and nothing a header could misread', () => {
    expect(isDeliverableAddress('ann@example.org')).toBe(true);
    for (const bad of [
      'ann@example.org\r\nBcc: v@evil.test',
      'ann@example.org, v@evil.test',
      '"a b"@example.org',
      'Ann <ann@example.org>',
      'ann@localhost',
      `${'a'.repeat(65)}@example.org`,
    ]) {
      expect(isDeliverableAddress(bad)).toBe(false);
    }
  });

  it('compares case-insensitively and stores the domain lower-cased', () => {
    expect(emailKey(' Ann@Example.ORG ')).toBe('ann@example.org');
    expect(canonicalEmail(' Ann@Example.ORG ')).toBe('Ann@example.org');
  });
});
