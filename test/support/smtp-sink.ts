import { AddressInfo } from 'node:net';
import { simpleParser, ParsedMail } from 'mailparser';
import { SMTPServer, SMTPServerAddress } from 'smtp-server';

export interface SinkMessage {
  raw: string;
  from: string;
  to: string[];
  receivedAt: number;
}

/** What the sink answers to RCPT TO for one address: a code and its text. */
export interface Refusal {
  code: number;
  message: string;
}

/**
 * An in-process SMTP server for tests: listens on a loopback port, keeps every accepted
 * message raw, can refuse chosen recipients (451 / 550 …), and can be stopped and started again
 * on the same port to play an outage.
 */
export class SmtpSink {
  readonly messages: SinkMessage[] = [];
  private readonly refusals = new Map<string, Refusal>();
  private server: SMTPServer | null = null;
  private waiters: { count: number; resolve: () => void }[] = [];
  port = 0;
  /** Extra delay before answering each DATA (ms), to keep sends in flight. */
  dataDelayMs = 0;

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async start(port = this.port): Promise<this> {
    const server = new SMTPServer({
      secure: false,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      // On stop, open sessions get 421 and are cut after this long, freeing the port.
      closeTimeout: 20,
      size: 10 * 1024 * 1024,
      onRcptTo: (address: SMTPServerAddress, _session, callback) => {
        const refusal = this.refusals.get(address.address.toLowerCase());
        if (refusal) {
          const error = new Error(refusal.message) as Error & { responseCode: number };
          error.responseCode = refusal.code;
          callback(error);
          return;
        }
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const finish = () => {
            this.messages.push({
              raw: Buffer.concat(chunks).toString('utf8'),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              receivedAt: Date.now(),
            });
            this.notify();
            callback();
          };
          if (this.dataDelayMs > 0) {
            setTimeout(finish, this.dataDelayMs);
          } else {
            finish();
          }
        });
      },
    });
    server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.server.address() as AddressInfo).port;
    return this;
  }

  /** Closes the listener and every open connection: the mail server is "down". */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) {
      return;
    }
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
    });
  }

  refuse(address: string, code: number, message: string): void {
    this.refusals.set(address.toLowerCase(), { code, message });
  }

  accept(address: string): void {
    this.refusals.delete(address.toLowerCase());
  }

  to(address: string): SinkMessage[] {
    return this.messages.filter((m) => m.to.some((t) => t.toLowerCase() === address.toLowerCase()));
  }

  /** Resolves once at least `count` messages arrived in total. */
  waitForCount(count: number, timeoutMs = 15_000): Promise<void> {
    if (this.messages.length >= count) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`expected ${count} messages, got ${this.messages.length}`)),
        timeoutMs,
      );
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Resolves with the first message to `address`, waiting for it if needed. */
  async waitFor(address: string, timeoutMs = 15_000): Promise<SinkMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.to(address)[0];
      if (found) {
        return found;
      }
      if (Date.now() > deadline) {
        throw new Error(`no message to ${address} within ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private notify(): void {
    const ready = this.waiters.filter((w) => this.messages.length >= w.count);
    this.waiters = this.waiters.filter((w) => this.messages.length < w.count);
    ready.forEach((w) => w.resolve());
  }
}

export function parse(message: SinkMessage): Promise<ParsedMail> {
  return simpleParser(message.raw);
}

/** The unfolded value of each header line with this name, exactly as sent. */
export function headerLines(raw: string, name: string): string[] {
  const head = raw.split(/\r?\n\r?\n/)[0];
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const prefix = `${name.toLowerCase()}:`;
  return unfolded
    .split(/\r?\n/)
    .filter((line) => line.toLowerCase().startsWith(prefix))
    .map((line) => line.slice(prefix.length).trim());
}

/** The first absolute link in the plain-text part whose path starts with `path`. */
export async function linkIn(message: SinkMessage, path: string): Promise<URL> {
  const parsed = await parse(message);
  const links = (parsed.text ?? '').match(/https?:\/\/[^\s<>)]+/g) ?? [];
  const found = links.map((l) => new URL(l)).find((u) => u.pathname.startsWith(path));
  if (!found) {
    throw new Error(`no ${path} link in: ${parsed.text}`);
  }
  return found;
}
