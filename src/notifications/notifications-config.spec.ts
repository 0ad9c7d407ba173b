import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/app-config';

describe('notification flood settings', () => {
  it('defaults to 3 single mails per 10 minutes', () => {
    expect(loadConfig({}).notifications).toEqual({ digestThreshold: 3, digestWindowMs: 600_000 });
  });

  it('takes whole thresholds and fractional minutes', () => {
    const config = loadConfig({
      NOTIFY_DIGEST_THRESHOLD: '5',
      NOTIFY_DIGEST_WINDOW_MINUTES: '0.5',
    });
    expect(config.notifications).toEqual({ digestThreshold: 5, digestWindowMs: 30_000 });
  });

  it.each([
    ['NOTIFY_DIGEST_THRESHOLD', '0'],
    ['NOTIFY_DIGEST_THRESHOLD', '2.5'],
    ['NOTIFY_DIGEST_WINDOW_MINUTES', '0'],
    ['NOTIFY_DIGEST_WINDOW_MINUTES', '-1'],
    ['NOTIFY_DIGEST_WINDOW_MINUTES', 'ten'],
    ['NOTIFY_DIGEST_WINDOW_MINUTES', '1441'],
  ])('refuses %s=%s with one clear sentence', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
