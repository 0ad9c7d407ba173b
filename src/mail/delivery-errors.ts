import { MailStream } from './email-outbox.entity';

/**
 * What a failed send means for the row:
 * - retry: nothing was accepted (4xx, refused, reset before the data); try again later;
 * - permanent: a 5xx answer; never retried;
 * - uncertain: the message may have been accepted (timed out mid-session); resend only what may
 *   arrive twice.
 */
export type DeliveryOutcome =
  | { kind: 'retry'; reason: string }
  | { kind: 'permanent'; reason: string; recipientRejected: boolean }
  | { kind: 'uncertain'; reason: string };

export class SendDeadlineError extends Error {
  readonly code = 'EDEADLINE';
  constructor(ms: number) {
    super(`no answer from the mail server within ${ms} ms`);
  }
}

interface SmtpLikeError {
  code?: unknown;
  responseCode?: unknown;
  command?: unknown;
  response?: unknown;
  message?: unknown;
}

function describe(error: SmtpLikeError): string {
  const parts = [
    typeof error.responseCode === 'number' ? String(error.responseCode) : null,
    typeof error.code === 'string' ? error.code : null,
    typeof error.command === 'string' ? `at ${error.command}` : null,
    typeof error.response === 'string'
      ? error.response
      : typeof error.message === 'string'
        ? error.message
        : null,
  ];
  // Keep stored errors short and on one line (a server could answer anything).
  return parts
    .filter(Boolean)
    .join(' ')
    .replace(/[\r\n\t]+/g, ' ')
    .slice(0, 500);
}

export function classifyDeliveryError(error: unknown): DeliveryOutcome {
  const e = (error ?? {}) as SmtpLikeError;
  const reason = describe(e) || 'unknown error';
  if (error instanceof SendDeadlineError || e.code === 'ETIMEDOUT' || e.code === 'EABORT') {
    return { kind: 'uncertain', reason };
  }
  const code = typeof e.responseCode === 'number' ? e.responseCode : null;
  if (code !== null && code >= 500 && code < 600) {
    // Suppress the address when the refusal is about it: a 5.1.x mailbox status anywhere, or
    // any 5xx at RCPT unless it is a 5.7.x policy refusal (our reputation, not their mailbox).
    const response = typeof e.response === 'string' ? e.response : '';
    const atRecipient = e.command === 'RCPT TO' || e.code === 'EENVELOPE';
    const mailboxStatus = /\b5\.1\.\d+\b/.test(response);
    const policy = /\b5\.7\.\d+\b/.test(response);
    return {
      kind: 'permanent',
      reason,
      recipientRejected: mailboxStatus || (atRecipient && !policy),
    };
  }
  return { kind: 'retry', reason };
}

/** Whether a mail whose outcome is unknown may be sent again (a duplicate is harmless). */
export function resendWhenUncertain(stream: MailStream): boolean {
  return stream === 'transactional';
}

const MAX_BACKOFF_MS = 6 * 60 * 60 * 1000;

/**
 * Delay before attempt `attempts + 1`: base·2^(attempts−1), capped at six hours, ±20 % jitter so
 * a backlog released by a recovered server does not retry in lockstep.
 */
export function retryDelayMs(attempts: number, baseMs: number, random = Math.random): number {
  const exponential = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.max(1, Math.round(exponential * (0.8 + 0.4 * random())));
}
