import { MailStream } from './email-outbox.entity';

export type SubscriptionKind = 'newsletter' | 'followups' | 'replies';

/**
 * The data each template takes, by template name; `enqueue()` is typed by it. Every template is
 * a pair under templates/mail/: `<name>.html.hbs` and `<name>.txt.hbs`, both wrapped by the
 * layout. The renderer adds `siteName`, `publicUrl` and, on subscription mail, `unsubscribeUrl`.
 */
export interface MailTemplateData extends NotificationTemplateData {
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
  /** A webhook endpoint kept failing and was disabled; to the moderator addresses. */
  'webhook-disabled': { url: string; reason: string; adminUrl: string };
  /**
   * A reader asked for their data or its erasure. Like the confirmation mail it holds nothing the
   * requester typed but the address it goes to.
   */
  'data-request': {
    kind: 'export' | 'erase';
    isExport: boolean;
    email: string;
    actionUrl: string;
    expiresInHours: number;
  };
}

/** One comment as notification mails show it: escaped plain text only, never its HTML. */
export interface NotifiedComment {
  id: string;
  authorName: string;
  /** A short plain-text excerpt of the sanitized body. */
  excerpt: string;
  url: string;
  isReply: boolean;
}

/** Why a reader gets a notification: the subscriptions of theirs that matched. */
export interface NotificationReasons {
  replies: boolean;
  followups: boolean;
}

/** A comment waiting for review, as moderators are told about it. */
export interface HeldComment extends NotifiedComment {
  articleTitle: string;
  articleUrl: string;
  reasons: string[];
}

export interface NotificationTemplateData {
  'comment-notification': {
    articleId: string;
    articleTitle: string;
    articleUrl: string;
    comment: NotifiedComment;
    because: NotificationReasons;
  };
  /** The notifications of a flood, folded into one mail. */
  'comment-digest': {
    articleId: string;
    articleTitle: string;
    articleUrl: string;
    comments: NotifiedComment[];
    because: NotificationReasons;
  };
  'moderation-alert': { comment: HeldComment; queueUrl: string; adminUrl: string };
  'moderation-digest': { comments: HeldComment[]; queueUrl: string; adminUrl: string };
}

export type MailTemplateName = keyof MailTemplateData;

export interface MailTemplateDefinition<K extends MailTemplateName> {
  subject(data: MailTemplateData[K]): string;
  /** Fields holding HTML that the producer made safe; everything else is escaped. */
  trustedHtml?: (keyof MailTemplateData[K])[];
  /**
   * The local part of a stable Message-ID that all mails of one conversation answer to
   * (`In-Reply-To` and `References`), so mail clients thread them together.
   */
  thread?: (data: MailTemplateData[K]) => string;
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
  // Subjects stay the same for every mail about one article, so clients thread them too.
  'comment-notification': {
    subject: (data) =>
      data.comment.isReply && data.because.replies
        ? `New reply to your comment on “${data.articleTitle}”`
        : `New comment on “${data.articleTitle}”`,
    thread: (data) => `article-${data.articleId}`,
  },
  'comment-digest': {
    subject: (data) => `New comments on “${data.articleTitle}”`,
    thread: (data) => `article-${data.articleId}`,
  },
  'moderation-alert': {
    subject: (data) => `Comment held for review on “${data.comment.articleTitle}”`,
  },
  'moderation-digest': {
    subject: (data) => `${data.comments.length} comments held for review`,
  },
  'webhook-disabled': {
    subject: () => 'A webhook endpoint was disabled after repeated failures',
  },
  'data-request': {
    subject: (data) =>
      data.kind === 'export' ? 'Your data: download link' : 'Confirm the erasure of your data',
  },
};

export const KIND_DESCRIPTIONS = KIND_NOUN;

/** How each stream is labelled in `List-Id`; transactional mail is not list mail and has none. */
export const LIST_IDS: Record<MailStream, { label: string; local: string } | null> = {
  transactional: null,
  notification: { label: 'Marginalia comment notifications', local: 'notifications' },
  newsletter: { label: 'Marginalia newsletter', local: 'newsletter' },
};
