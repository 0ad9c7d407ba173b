import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Logger } from '@nestjs/common';
import nodemailer, { Transporter } from 'nodemailer';
import { MailTransport, OutgoingMail } from './mail-transport';

/**
 * The embedded default: each message becomes an `.eml` file under `<DATA_DIR>/mail/`, and the
 * links in it are logged, so a fresh `npm start` can walk the whole opt-in without a mail server.
 */
export class FileTransport implements MailTransport {
  private readonly logger = new Logger('FileTransport');
  private readonly transporter: Transporter = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
  });
  readonly description: string;

  constructor(private readonly dir: string) {
    this.description = `.eml files in ${dir}`;
  }

  async send(mail: OutgoingMail, signal: AbortSignal): Promise<void> {
    const info = (await this.transporter.sendMail({
      from: mail.from,
      to: mail.to,
      subject: mail.subject,
      html: mail.html,
      text: mail.text,
      messageId: mail.messageId,
      headers: mail.headers,
      disableFileAccess: true,
      disableUrlAccess: true,
      signal,
    })) as { message: Buffer };
    mkdirSync(this.dir, { recursive: true });
    const file = join(
      this.dir,
      `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.outboxId}.eml`,
    );
    writeFileSync(file, info.message);
    const links = [...new Set(mail.text.match(/https?:\/\/[^\s<>)]+/g) ?? [])];
    this.logger.log(
      `"${mail.subject}" written to ${pathToFileURL(file).href}${links.length ? `; links: ${links.join(' ')}` : ''}`,
    );
  }

  reset(): void {
    // Nothing is pooled.
  }

  close(): void {
    this.transporter.close();
  }
}
