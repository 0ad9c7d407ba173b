import { Logger } from '@nestjs/common';
import nodemailer, { Transporter } from 'nodemailer';
import { MailConfig } from '../config/app-config';
import { MailTransport, OutgoingMail } from './mail-transport';

/**
 * nodemailer, pooled, with short explicit timeouts: its defaults (2 min to connect, 10 min idle
 * socket) would hold a row far past its lease. The dispatcher adds a hard deadline on top.
 */
export class SmtpTransport implements MailTransport {
  private readonly logger = new Logger('SmtpTransport');
  private transporter: Transporter;
  readonly description: string;
  private readonly envelopeFrom: string;

  constructor(
    private readonly url: string,
    mailFrom: string,
    private readonly mail: MailConfig,
  ) {
    const parsed = new URL(url);
    this.description = `SMTP ${parsed.protocol}//${parsed.hostname}:${parsed.port || 'default'}`;
    this.envelopeFrom = /<([^<>]+)>/.exec(mailFrom)?.[1] ?? mailFrom;
    this.transporter = this.create();
  }

  private create(): Transporter {
    return nodemailer.createTransport({
      url: this.url,
      pool: true,
      maxConnections: this.mail.smtpConnections,
      maxMessages: 500,
      connectionTimeout: 5_000,
      greetingTimeout: 5_000,
      socketTimeout: 15_000,
      dnsTimeout: 5_000,
      ...(this.mail.dkim ? { dkim: this.mail.dkim } : {}),
    });
  }

  async send(mail: OutgoingMail, signal: AbortSignal): Promise<void> {
    await this.transporter.sendMail({
      from: mail.from,
      envelope: { from: this.envelopeFrom, to: [mail.to] },
      to: mail.to,
      subject: mail.subject,
      html: mail.html,
      text: mail.text,
      messageId: mail.messageId,
      headers: mail.headers,
      // Base64 is encoded natively; quoted-printable in JavaScript was a large share of the CPU
      // each mail cost.
      textEncoding: 'base64',
      disableFileAccess: true,
      disableUrlAccess: true,
      signal,
    });
  }

  reset(): void {
    this.logger.warn('resetting the SMTP pool after a send outlived its deadline');
    const old = this.transporter;
    this.transporter = this.create();
    old.close();
  }

  close(): void {
    this.transporter.close();
  }
}
