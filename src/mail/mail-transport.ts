import { HeaderValue } from './mail-headers';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  messageId: string;
  headers: Record<string, HeaderValue>;
  /** The outbox row, for transports that name what they write after it. */
  outboxId: string;
}

/** The one seam between the dispatcher and the outside world; SMTP or `.eml` files. */
export interface MailTransport {
  readonly description: string;
  /**
   * Resolves once the message was accepted; rejects with nodemailer's error otherwise, or with
   * an `EABORT` error when `signal` aborts first (the send's deadline).
   */
  send(mail: OutgoingMail, signal: AbortSignal): Promise<void>;
  /** Drops every connection (after a send outlived its deadline); later sends reconnect. */
  reset(): void;
  close(): void;
}

export const MAIL_TRANSPORT = Symbol('MAIL_TRANSPORT');
