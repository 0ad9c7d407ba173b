import { HttpException, HttpStatus, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { ArticlesRepository } from '../articles/articles.repository';
import { FieldError } from '../common/validation-errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ReadContext } from '../database/read-context';
import { WriterContext } from './comment-rate-limits';
import { CommentThreadService } from './comment-thread.service';
import { CommentsRepository } from './comments.repository';
import { CommentNode, SORTS, ThreadSort } from './dto/comment.dto';
import { commentFromForm, CommentFormFields } from './dto/comment-form';
import { PostCommentService } from './post-comment.service';

/** What the reader asked for in the page's query string (all optional, all untrusted). */
export interface ThreadPageQuery {
  sort?: string;
  cursor?: string;
  anchor?: string;
  replyTo?: string;
  held?: string;
  /** The id of the comment a reader just reported: the thanks is shown on it. */
  reported?: string;
  /**
   * Set after a post that asked for notifications: the reader is told to confirm by mail, on the
   * comment (its id) or, for a held comment, next to the form (`1`).
   */
  notify?: string;
  /** After the "Subscribe" form or the newsletter box: `1` shows the notice next to that form. */
  following?: string;
  subscribed?: string;
}

/** A form being shown again with what the reader typed and what was wrong with it. */
export interface FormState<Values = Record<string, string | undefined>> {
  values: Values;
  /** One reader's message per invalid field, shown next to it. */
  fields: Record<string, string>;
  /** The summary at the top of the form: every problem, each linking to its field. */
  summary: { message: string; href: string | null }[];
}

export type CommentFormState = FormState<CommentFormFields>;

/**
 * Turns field errors into what a form shows: each message next to its field (by the input's id),
 * problems with no field of their own only in the summary.
 */
export function formState<Values>(
  values: Values,
  errors: (FieldError | string)[],
  inputIds: Record<string, string>,
): FormState<Values> {
  const fields: Record<string, string> = {};
  const summary: FormState['summary'] = [];
  for (const error of errors) {
    if (typeof error === 'string') {
      summary.push({ message: error, href: null });
      continue;
    }
    const id = inputIds[error.field];
    if (id && !fields[error.field]) {
      fields[error.field] = error.message;
    }
    summary.push({ message: error.message, href: id ? `#${id}` : null });
  }
  return { values, fields, summary };
}

export const COMMENT_INPUTS: Record<string, string> = {
  authorName: 'comment-name',
  authorEmail: 'comment-email',
  body: 'comment-body',
  notify: 'comment-notify',
};

export type Trusted = (html: string) => unknown;

export interface CommentView {
  id: string;
  authorName: string | null;
  placeholder: boolean;
  bodyHtml: unknown;
  createdAt: string;
  dateLabel: string;
  edited: boolean;
  score: number;
  up: number;
  down: number;
  quote: string | null;
  orphaned: boolean;
  blockId: string | null;
  level: number;
  pinned: boolean;
  initials: string;
  avatarHue: number;
  /** A notice for the reader on this very comment (after a report, or a post asking to be notified). */
  notice: { id: string; text: string } | null;
  replyHref: string;
  moreRepliesHref: string;
  replies: CommentView[];
  moreReplies: boolean;
}

const CONFIRM_BY_MAIL =
  'Please check your inbox: unless this address already receives these notifications, we sent it an email with a link to confirm them. Nothing is sent until you confirm.';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const SORT_LABELS: Record<ThreadSort, string> = {
  newest: 'Newest',
  oldest: 'Oldest',
  top: 'Most voted',
};

function query(params: Record<string, string | undefined>, hash: string): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value) {
      search.set(key, value);
    }
  }
  const text = search.toString();
  return `${text ? `?${text}` : '?'}${hash}`;
}

/** Up to two letters from a name, for an avatar drawn here (no third party sees the address). */
export function initialsOf(name: string | null): string {
  const words = (name ?? '').normalize('NFC').trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words.slice(0, 1);
  return letters.map((w) => Array.from(w)[0]?.toUpperCase() ?? '').join('') || '?';
}

/** One of 12 colours per name (classes in app.css: the CSP allows no style attributes). */
export function avatarHue(name: string | null): number {
  let hash = 0;
  for (const ch of name ?? '') {
    hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  }
  return hash % 12;
}

function dateLabel(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'UTC',
  });
}

/**
 * The reader page's comment thread: what the template needs (no JavaScript required) and the
 * handling of the page's plain form post.
 */
@Injectable()
export class CommentPageService {
  constructor(
    private readonly threads: CommentThreadService,
    private readonly posting: PostCommentService,
    private readonly articles: ArticlesRepository,
    private readonly repository: CommentsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The replies page ("Show more replies" without JavaScript): all replies, 50 at a time. */
  async repliesView(reads: ReadContext, id: string, cursor: string | undefined, trusted: Trusted) {
    if (!UUID.test(id)) {
      throw new NotFoundException('comment not found');
    }
    const comment = await this.repository.findById(id);
    const article = comment && (await this.articles.findPublishedById(comment.articleId));
    if (!comment || !article) {
      throw new NotFoundException('comment not found');
    }
    const page = await this.threads.listReplies(
      reads,
      id,
      50,
      cursor && cursor.length <= 512 ? cursor : undefined,
    );
    const place = { sort: 'oldest' as ThreadSort };
    const items = page.items.map((node) => ({
      ...this.view(node, 0, trusted, place, {}),
      replyHref: `/articles/${article.slug}?replyTo=${node.id}#reply-form`,
    }));
    return {
      article: { slug: article.slug, title: article.title },
      parent: { id, authorName: comment.status === 'deleted' ? null : comment.authorName },
      backHref: `/articles/${article.slug}#comment-${id}`,
      items,
      nextHref: page.nextCursor
        ? `/comments/${id}/replies?cursor=${encodeURIComponent(page.nextCursor)}`
        : null,
    };
  }

  async threadView(
    reads: ReadContext,
    article: { id: string; slug: string; blocks: { id: string; inlineCount: number }[] },
    params: ThreadPageQuery,
    trusted: Trusted,
    form?: CommentFormState,
  ) {
    const sort: ThreadSort = SORTS.includes(params.sort as ThreadSort)
      ? (params.sort as ThreadSort)
      : 'newest';
    const anchor = params.anchor && /^[\w-]{1,64}$/.test(params.anchor) ? params.anchor : undefined;
    const cursor = params.cursor && params.cursor.length <= 512 ? params.cursor : undefined;
    const page = await this.threads.listForArticle(reads, article, {
      sort,
      limit: 20,
      cursor,
      anchor,
    });
    const notices: Record<string, CommentView['notice']> = {};
    if (params.reported && UUID.test(params.reported)) {
      notices[params.reported] = {
        id: 'comment-reported',
        text: 'Thank you for the report. A moderator will take a look.',
      };
    }
    if (params.notify && UUID.test(params.notify)) {
      notices[params.notify] = { id: 'comment-confirm-mail', text: CONFIRM_BY_MAIL };
    }
    const items = page.items.map((node) =>
      this.view(node, 0, trusted, { sort, anchor, cursor }, notices),
    );
    const replyTo = params.replyTo ?? form?.values.parentId;
    const replyTarget = replyTo && UUID.test(replyTo) ? findNode(page.items, replyTo) : null;
    const inline: Record<string, number> = {};
    for (const block of article.blocks) {
      if (block.inlineCount > 0) {
        inline[block.id] = block.inlineCount;
      }
    }
    return {
      slug: article.slug,
      indentDepth: this.config.commentIndentDepth,
      total: page.total,
      empty: page.total === 0,
      sorts: SORTS.map((value) => ({
        value,
        label: SORT_LABELS[value],
        href: query({ sort: value, anchor }, '#comments'),
        current: value === sort,
      })),
      filter: anchor ? 'inline' : 'all',
      allHref: query({ sort }, '#comments'),
      inlineHref: query({ sort, anchor: 'inline' }, '#comments'),
      items,
      nothingHere: items.length === 0 && page.total > 0,
      nextHref: page.nextCursor
        ? query({ sort, anchor, cursor: page.nextCursor }, '#comments')
        : null,
      // A reply target off this page is still honoured; its name is just not shown.
      replyTo:
        replyTo && UUID.test(replyTo)
          ? { id: replyTo, authorName: replyTarget?.authorName ?? 'a comment' }
          : null,
      cancelReplyHref: query({ sort, anchor }, '#reply-form'),
      held: params.held === '1',
      // A reported comment off this page still gets its thanks, at the top of the thread.
      reported:
        params.reported !== undefined &&
        !(UUID.test(params.reported) && findNode(page.items, params.reported)),
      confirmByMail: params.notify === '1',
      confirmByMailText: CONFIRM_BY_MAIL,
      form: form ?? { values: {}, fields: {}, summary: [] },
      inlineCounts: JSON.stringify(inline),
      notifyChoices: [
        {
          value: 'none',
          label: 'nothing',
          selected: !form?.values.notify || form.values.notify === 'none',
        },
        {
          value: 'followups',
          label: 'new follow-up comments',
          selected: form?.values.notify === 'followups',
        },
        {
          value: 'replies',
          label: 'new replies to my comments',
          selected: form?.values.notify === 'replies',
        },
      ],
    };
  }

  /**
   * Handles the page's form post: where to redirect (303) on success, or the form to show again
   * with the status to answer. Unknown article (404) and rate limits (429) are thrown as errors.
   */
  async submit(
    slug: string,
    raw: Record<string, unknown>,
    writer: WriterContext,
  ): Promise<
    | { redirect: string; own: { id: string; editToken: string } }
    | { status: number; form: CommentFormState }
  > {
    const values = raw as CommentFormFields;
    const parsed = commentFromForm(raw);
    if (!parsed.input) {
      return {
        status: HttpStatus.BAD_REQUEST,
        form: formState(values, parsed.errors, COMMENT_INPUTS),
      };
    }
    try {
      const posted = await this.posting.post(slug, parsed.input, writer);
      const id = posted.comment.id;
      const notify = Boolean(parsed.input.notify && parsed.input.notify !== 'none');
      // The reader lands on what shows the outcome: the comment itself (with the "confirm by
      // mail" notice on it), or the "held" notice next to the form.
      const redirect =
        posted.comment.status === 'approved'
          ? `/articles/${slug}${notify ? `?notify=${id}` : ''}#comment-${id}`
          : `/articles/${slug}?held=1${notify ? '&notify=1' : ''}#comment-held`;
      return { redirect, own: { id, editToken: posted.editToken } };
    } catch (error) {
      if (
        error instanceof HttpException &&
        [HttpStatus.CONFLICT, HttpStatus.UNPROCESSABLE_ENTITY].includes(error.getStatus())
      ) {
        return {
          status: error.getStatus(),
          form: formState(values, [readerMessage(error.message)], COMMENT_INPUTS),
        };
      }
      throw error;
    }
  }

  private view(
    node: CommentNode,
    level: number,
    trusted: Trusted,
    place: { sort: ThreadSort; anchor?: string; cursor?: string },
    notices: Record<string, CommentView['notice']>,
  ): CommentView {
    const cap = this.config.commentIndentDepth;
    const replies: CommentView[] = [];
    for (const reply of node.replies) {
      const child = this.view(reply, Math.min(level + 1, cap), trusted, place, notices);
      replies.push(child);
      if (level + 1 >= cap) {
        // At the deepest indent, a reply's own replies follow it at the same level.
        replies.push(...flatten(child.replies));
        child.replies = [];
      }
    }
    return {
      id: node.id,
      authorName: node.authorName,
      placeholder: node.status === 'deleted',
      bodyHtml: node.bodyHtml === null ? null : trusted(node.bodyHtml),
      createdAt: node.createdAt,
      dateLabel: dateLabel(node.createdAt),
      edited: node.editedAt !== null,
      score: node.votes.score,
      up: node.votes.up,
      down: node.votes.down,
      quote: node.anchor?.quote?.exact ?? null,
      orphaned: node.anchor?.state === 'orphaned',
      blockId: node.anchor?.blockId ?? null,
      level,
      pinned: node.pinned,
      initials: initialsOf(node.authorName),
      avatarHue: avatarHue(node.authorName),
      notice: notices[node.id] ?? null,
      replyHref: query({ ...place, replyTo: node.id }, '#reply-form'),
      moreRepliesHref: `/comments/${node.id}/replies#replies-title`,
      replies,
      moreReplies: node.moreReplies,
    };
  }
}

/** The posting services' refusals, in words for the reader who sees them under the form. */
function readerMessage(message: string): string {
  const known: [RegExp, string][] = [
    [/duplicate/i, 'You already posted this comment a moment ago.'],
    [/comments are closed/i, 'Comments are closed on this article.'],
    [
      /anchor|passage|quote/i,
      'The passage you quoted is no longer in the article. Remove it and post again.',
    ],
    [/parent/i, 'The comment you are replying to is no longer open for replies.'],
  ];
  return known.find(([pattern]) => pattern.test(message))?.[1] ?? message;
}

function flatten(views: CommentView[]): CommentView[] {
  return views.flatMap((v) => {
    const children = v.replies;
    v.replies = [];
    return [v, ...flatten(children)];
  });
}

function findNode(nodes: CommentNode[], id: string): CommentNode | null {
  for (const node of nodes) {
    if (node.id === id) {
      return node;
    }
    const found = findNode(node.replies, id);
    if (found) {
      return found;
    }
  }
  return null;
}
