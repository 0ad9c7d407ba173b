import { describe, expect, it } from 'vitest';
import {
  classifyDeliveryError,
  resendWhenUncertain,
  retryDelayMs,
  SendDeadlineError,
} from './delivery-errors';

describe('classifyDeliveryError', () => {
  it('retries 4xx answers and connection failures', () => {
    expect(
      classifyDeliveryError({ code: 'EENVELOPE', responseCode: 451, command: 'RCPT TO' }).kind,
    ).toBe('retry');
    expect(
      classifyDeliveryError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED' }).kind,
    ).toBe('retry');
    expect(classifyDeliveryError({ code: 'ESOCKET' }).kind).toBe('retry');
    expect(classifyDeliveryError(new Error('anything else')).kind).toBe('retry');
  });

  it('treats 5xx as permanent and suppresses only when the mailbox is at fault', () => {
    expect(
      classifyDeliveryError({
        code: 'EENVELOPE',
        responseCode: 550,
        command: 'RCPT TO',
        response: '550 5.1.1 no such user',
      }),
    ).toMatchObject({ kind: 'permanent', recipientRejected: true });
    expect(
      classifyDeliveryError({
        code: 'EENVELOPE',
        responseCode: 554,
        command: 'RCPT TO',
        response: '554 5.7.1 rejected by policy',
      }),
    ).toMatchObject({ kind: 'permanent', recipientRejected: false });
    expect(
      classifyDeliveryError({ code: 'EMESSAGE', responseCode: 552, command: 'DATA' }),
    ).toMatchObject({ kind: 'permanent', recipientRejected: false });
  });

  it('calls a timeout mid-session uncertain', () => {
    expect(classifyDeliveryError(new SendDeadlineError(1000)).kind).toBe('uncertain');
    expect(classifyDeliveryError({ code: 'ETIMEDOUT', command: 'CONN' }).kind).toBe('uncertain');
    expect(resendWhenUncertain('transactional')).toBe(true);
    expect(resendWhenUncertain('notification')).toBe(false);
    expect(resendWhenUncertain('newsletter')).toBe(false);
  });

  it('keeps stored errors to one short line', () => {
    const outcome = classifyDeliveryError({ responseCode: 421, response: 'a\r\nb'.repeat(400) });
    expect(outcome.reason).not.toMatch(/[\r\n]/);
    expect(outcome.reason.length).toBeLessThanOrEqual(500);
  });
});

describe('retryDelayMs', () => {
  it('doubles per attempt within ±20 % and stops growing at six hours', () => {
    expect(retryDelayMs(1, 1000, () => 0.5)).toBe(1000);
    expect(retryDelayMs(2, 1000, () => 0.5)).toBe(2000);
    expect(retryDelayMs(4, 1000, () => 0.5)).toBe(8000);
    expect(retryDelayMs(3, 1000, () => 0)).toBe(3200);
    expect(retryDelayMs(3, 1000, () => 0.999999)).toBe(4800);
    expect(retryDelayMs(40, 30_000, () => 0.5)).toBe(6 * 60 * 60 * 1000);
  });
});
