import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { WriterContext } from './comment-rate-limits';
import { CommentThreadService } from './comment-thread.service';
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
  reported?: string;
  /** Set after a post that asked for notifications: the reader is told to confirm by mail. */
  notify?: string;
}

/** A form being shown again with what the reader typed and what was wrong with it. */
export interface CommentFormState {
  values: CommentFormFields;
  errors: string[];
}

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
  replyHref: string;
  replies: CommentView[];
  moreReplies: boolean;
}

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
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async threadView(
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
    const page = await this.threads.listForArticle(article, { sort, limit: 20, cursor, anchor });
    const items = page.items.map((node) => this.view(node, 0, trusted, { sort, anchor, cursor }));
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
      reported: params.reported === '1',
      confirmByMail: params.notify === '1',
      form: form ?? { values: {}, errors: [] },
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
  ): Promise<{ redirect: string } | { status: number; form: CommentFormState }> {
    const values = raw as CommentFormFields;
    const parsed = commentFromForm(raw);
    if (!parsed.input) {
      return { status: HttpStatus.BAD_REQUEST, form: { values, errors: parsed.errors } };
    }
    try {
      const posted = await this.posting.post(slug, parsed.input, writer);
      const notify = parsed.input.notify && parsed.input.notify !== 'none' ? 'notify=1' : '';
      // A held comment's id and edit token ride in the fragment, which never reaches a server:
      // the page script keeps them so this browser alone can show the comment while it waits.
      return posted.comment.status === 'approved'
        ? {
            redirect: `/articles/${slug}${notify ? `?${notify}` : ''}#comment-${posted.comment.id}`,
          }
        : {
            redirect: `/articles/${slug}?held=1${notify ? `&${notify}` : ''}#held=${posted.comment.id}.${posted.editToken}`,
          };
    } catch (error) {
      if (
        error instanceof HttpException &&
        [HttpStatus.CONFLICT, HttpStatus.UNPROCESSABLE_ENTITY].includes(error.getStatus())
      ) {
        return { status: error.getStatus(), form: { values, errors: [error.message] } };
      }
      throw error;
    }
  }

  private view(
    node: CommentNode,
    level: number,
    trusted: Trusted,
    place: { sort: ThreadSort; anchor?: string; cursor?: string },
  ): CommentView {
    const cap = this.config.commentIndentDepth;
    const replies: CommentView[] = [];
    for (const reply of node.replies) {
      const child = this.view(reply, Math.min(level + 1, cap), trusted, place);
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
      replyHref: query({ ...place, replyTo: node.id }, '#reply-form'),
      replies,
      moreReplies: node.moreReplies,
    };
  }
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
