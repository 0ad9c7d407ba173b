import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './app-config';

describe('mail configuration', () => {
  it('has production defaults whose lease outlasts the slowest wave', () => {
    const { mail } = loadConfig({});
    expect(mail.leaseMs).toBeGreaterThan(
      mail.sendTimeoutMs * Math.ceil((mail.concurrency * mail.lanes) / mail.smtpConnections),
    );
    expect(mail.dkim).toBeNull();
    expect(mail.tokenSecret).toBeNull();
  });

  it('refuses a lease shorter than a wave can take', () => {
    expect(() => loadConfig({ MAIL_LEASE_MS: '20000', MAIL_SEND_TIMEOUT_MS: '30000' })).toThrow(
      ConfigError,
    );
  });

  it('wants all of DKIM or none of it, and a real key', () => {
    expect(() => loadConfig({ DKIM_DOMAIN: 'example.org' })).toThrow(/DKIM needs/);
    expect(() =>
      loadConfig({ DKIM_DOMAIN: 'example.org', DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY: 'nope' }),
    ).toThrow(/not a valid PEM/);
  });

  it('wants a long TOKEN_SECRET when one is given', () => {
    expect(() => loadConfig({ TOKEN_SECRET: 'short' })).toThrow(/at least 32/);
  });
});
