import { HeldComment, MailTemplateData, NotifiedComment } from '../mail/mail-templates';
import { plainExcerpt } from './excerpt';
import { ListedComment, NotifiedArticle } from './notifications.repository';

export function articleUrl(publicUrl: string, slug: string): string {
  return `${publicUrl}/articles/${encodeURIComponent(slug)}`;
}

/** The comment's place on the article page (the thread renders `id="comment-<id>"`). */
export function commentUrl(publicUrl: string, slug: string, commentId: string): string {
  return `${articleUrl(publicUrl, slug)}#comment-${commentId}`;
}

/**
 * Where moderators act: the console's queue, and the comment's page in the console
 * (`adminUrl/<id>`). The console asks the moderator to sign in first when needed.
 */
export function adminUrls(publicUrl: string): { queueUrl: string; adminUrl: string } {
  return {
    queueUrl: `${publicUrl}/admin/queue?status=pending`,
    adminUrl: `${publicUrl}/admin/comments`,
  };
}

export function notifiedComment(
  comment: { id: string; authorName: string; bodyHtml: string },
  slug: string,
  publicUrl: string,
  isReply: boolean,
): NotifiedComment {
  return {
    id: comment.id,
    authorName: comment.authorName,
    excerpt: plainExcerpt(comment.bodyHtml),
    url: commentUrl(publicUrl, slug, comment.id),
    isReply,
  };
}

export function heldComment(
  comment: {
    id: string;
    authorName: string;
    bodyHtml: string;
    parentId: string | null;
    reasons: string[];
  },
  article: NotifiedArticle,
  publicUrl: string,
): HeldComment {
  return {
    ...notifiedComment(comment, article.slug, publicUrl, comment.parentId !== null),
    // A held comment is not on the page yet: the link leads to the article.
    url: articleUrl(publicUrl, article.slug),
    articleTitle: article.title,
    articleUrl: articleUrl(publicUrl, article.slug),
    reasons: comment.reasons.length > 0 ? comment.reasons : ['held for review'],
  };
}

/** A reader digest lists comments of one article (its scope), oldest first. */
export function readerDigestData(
  comments: ListedComment[],
  publicUrl: string,
): MailTemplateData['comment-digest'] {
  const first = comments[0];
  return {
    articleId: first.articleId,
    articleTitle: first.articleTitle,
    articleUrl: articleUrl(publicUrl, first.articleSlug),
    comments: comments.map((c) =>
      notifiedComment(c, c.articleSlug, publicUrl, c.because.includes('replies')),
    ),
    because: {
      replies: comments.some((c) => c.because.includes('replies')),
      followups: comments.some((c) => c.because.includes('followups')),
    },
  };
}

export function moderatorDigestData(
  comments: ListedComment[],
  publicUrl: string,
): MailTemplateData['moderation-digest'] {
  return {
    comments: comments.map((c) =>
      heldComment(c, { id: c.articleId, slug: c.articleSlug, title: c.articleTitle }, publicUrl),
    ),
    ...adminUrls(publicUrl),
  };
}
