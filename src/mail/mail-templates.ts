import { MailStream } from './email-outbox.entity';

export type SubscriptionKind = 'newsletter' | 'followups' | 'replies';

/**
 * The data each template takes, by template name; `enqueue()` is typed by it. Every template is
 * a pair under templates/mail/: `<name>.html.hbs` and `<name>.txt.hbs`, both wrapped by the
 * layout. The renderer adds `siteName`, `publicUrl` and, on subscription mail, `unsubscribeUrl`.
 */
export interface MailTemplateData {
  /**
   * Double opt-in. Holds nothing the submitter typed except the address it goes to, so the form
   * cannot be used to deliver someone else's words.
   */
  'confirm-subscription': {
    kind: SubscriptionKind;
    email: string;
    confirmUrl: string;
    expiresInHours: number;
    articleTitle: string | null;
    articleUrl: string | null;
  };
  'newsletter-issue': {
    subject: string;
    /** Rendered from the editor's markdown and sanitized by the newsletter; inserted as is. */
    bodyHtml: string;
    bodyText: string;
    articleUrl: string | null;
  };
}

export type MailTemplateName = keyof MailTemplateData;

export interface MailTemplateDefinition<K extends MailTemplateName> {
  subject(data: MailTemplateData[K]): string;
  /** Fields holding HTML that the producer made safe; everything else is escaped. */
  trustedHtml?: (keyof MailTemplateData[K])[];
}

const KIND_NOUN: Record<SubscriptionKind, string> = {
  newsletter: 'the Marginalia newsletter',
  followups: 'new comments',
  replies: 'replies to your comments',
};

export const MAIL_TEMPLATES: { [K in MailTemplateName]: MailTemplateDefinition<K> } = {
  'confirm-subscription': {
    subject: (data) => `Please confirm your subscription to ${KIND_NOUN[data.kind]}`,
  },
  'newsletter-issue': {
    subject: (data) => data.subject,
    trustedHtml: ['bodyHtml'],
  },
};

export const KIND_DESCRIPTIONS = KIND_NOUN;

/** How each stream is labelled in `List-Id`; transactional mail is not list mail and has none. */
export const LIST_IDS: Record<MailStream, { label: string; local: string } | null> = {
  transactional: null,
  notification: { label: 'Marginalia comment notifications', local: 'notifications' },
  newsletter: { label: 'Marginalia newsletter', local: 'newsletter' },
};
