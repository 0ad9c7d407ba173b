import { MailStream } from './email-outbox.entity';
import { LIST_IDS } from './mail-templates';

export type HeaderValue = string | { prepared: true; value: string };

/**
 * The same id on every attempt of one outbox row, so a resend after an uncertain outcome is
 * recognisable as the same message by clients and by us.
 */
export function messageIdFor(outboxId: string, domain: string): string {
  return `<outbox-${outboxId}@${domain}>`;
}

export function mailHeaders(input: {
  stream: MailStream;
  domain: string;
  unsubscribeUrl: string | null;
  /** Local part of the conversation's root Message-ID (see MailTemplateDefinition.thread). */
  thread?: string | null;
}): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = {
    // Everything Marginalia sends is machine-made: out-of-office replies should stay quiet.
    'Auto-Submitted': 'auto-generated',
  };
  const list = LIST_IDS[input.stream];
  if (list) {
    headers['List-Id'] = {
      prepared: true,
      value: `"${list.label}" <${list.local}.${input.domain}>`,
    };
  }
  if (input.thread) {
    // The root is never sent itself; every mail of the conversation answers to it.
    const root = `<${input.thread}@${input.domain}>`;
    headers['In-Reply-To'] = { prepared: true, value: root };
    // nodemailer parses References itself (a list of ids); it takes a plain string only.
    headers['References'] = root;
  }
  if (input.unsubscribeUrl) {
    // RFC 8058: the URL must be https (http only where PUBLIC_URL is), and the POST is one click.
    headers['List-Unsubscribe'] = { prepared: true, value: `<${input.unsubscribeUrl}>` };
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  return headers;
}
