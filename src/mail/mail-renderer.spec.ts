import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/app-config';
import { MailRenderer } from './mail-renderer.service';

const renderer = new MailRenderer(loadConfig({ PUBLIC_URL: 'https://news.example' }));

describe('MailRenderer', () => {
  const confirmation = {
    kind: 'followups' as const,
    email: 'ann@example.org',
    confirmUrl: 'https://news.example/confirm?token=abc',
    expiresInHours: 72,
    articleTitle: 'Tom & Jerry <script>alert(1)</script>',
    articleUrl: 'https://news.example/articles/tom-and-jerry',
  };

  it('renders an HTML and a plain-text part from one template pair, with inlined CSS', () => {
    const mail = renderer.render('confirm-subscription', confirmation, null);
    expect(mail.subject).toBe('Please confirm your subscription to new comments');
    // Handlebars escapes "=" in attribute values; mail clients decode it.
    expect(mail.html).toContain('href="https://news.example/confirm?token&#x3D;abc"');
    expect(mail.html).toMatch(/<a class="button"[^>]*style="[^"]*background: #0b57d0/);
    expect(mail.html).not.toContain('<style>');
    expect(mail.text).toContain('https://news.example/confirm?token=abc');
    expect(mail.text).not.toContain('<a ');
    expect(mail.html).not.toContain('Unsubscribe');
  });

  it('escapes every value in HTML and leaves plain text unescaped', () => {
    const mail = renderer.render('confirm-subscription', confirmation, null);
    expect(mail.html).toContain('Tom &amp; Jerry &lt;script&gt;');
    expect(mail.html).not.toContain('<script>');
    expect(mail.text).toContain('"Tom & Jerry <script>alert(1)</script>"');
  });

  it('adds a visible unsubscribe link when the mail belongs to a subscription', () => {
    const mail = renderer.render(
      'newsletter-issue',
      { subject: 'Hi', bodyHtml: '<p>Body</p>', bodyText: 'Body', articleUrl: null },
      'https://news.example/unsubscribe?token=xyz',
    );
    expect(mail.html).toContain('<p>Body</p>');
    expect(mail.html).toContain('href="https://news.example/unsubscribe?token&#x3D;xyz"');
    expect(mail.text).toContain('Unsubscribe: https://news.example/unsubscribe?token=xyz');
  });

  it('refuses a stored row whose template does not exist', () => {
    expect(() => renderer.renderStored('no-such-template', {}, null)).toThrow(
      /unknown mail template/,
    );
  });
});
