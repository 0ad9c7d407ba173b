import { Injectable, NotFoundException } from '@nestjs/common';
import { ArticlesRepository } from '../articles/articles.repository';
import { ReadReplica } from '../database/read-replica';
import { encodeCursor } from '../common/cursor';
import { Page } from '../common/list.dto';
import {
  CommentsRepository,
  decodeReplyCursor,
  decodeThreadCursor,
  NESTED_REPLY_CAP,
} from './comments.repository';
import {
  CommentCountResponse,
  CommentNode,
  PublicCommentRow,
  ThreadPage,
  ThreadSort,
  buildTree,
  toCommentResponse,
} from './dto/comment.dto';
import { ThreadPageCache } from './thread-page-cache';

export interface ThreadOptions {
  sort: ThreadSort;
  limit: number;
  cursor?: string;
  anchor?: string;
}

function sortKey(row: PublicCommentRow, sort: ThreadSort): (string | number)[] {
  const time = row.cursorTime;
  return sort === 'top' ? [row.upCount - row.downCount, time, row.id] : [time, row.id];
}

/** A thread page's cursor: the segment (pinned first) and the sort key within it. */
function pageKey(row: PublicCommentRow, sort: ThreadSort): (string | number)[] {
  return [row.pinned ? 1 : 0, ...sortKey(row, sort)];
}

/** Reading threads and counts: the public side of comments. */
@Injectable()
export class CommentThreadService {
  constructor(
    private readonly articles: ArticlesRepository,
    private readonly comments: CommentsRepository,
    private readonly cache: ThreadPageCache,
    private readonly reads: ReadReplica,
  ) {}

  /**
   * One page of top-level comments with their replies nested (up to the cap); the public API.
   * Answers the page's JSON text, which is what the thread cache holds.
   */
  listForSlugJson(slug: string, options: ThreadOptions): Promise<string> {
    // A client that has just written reads around the cache (and on the primary), so it sees
    // its own change whichever instance answers.
    if (this.reads.freshWriter()) {
      return this.page({ slug }, options).then((page) => JSON.stringify(page));
    }
    const key = JSON.stringify([slug, options.sort, options.limit, options.cursor, options.anchor]);
    return this.cache.read(key, () => this.page({ slug }, options));
  }

  /** The same for an article the caller has loaded already (the reader page). */
  listForArticle(article: { id: string }, options: ThreadOptions): Promise<ThreadPage> {
    return this.page({ id: article.id }, options);
  }

  private async page(
    article: { slug: string } | { id: string },
    options: ThreadOptions,
  ): Promise<ThreadPage> {
    const after = options.cursor ? decodeThreadCursor(options.cursor, options.sort) : undefined;
    const found = await this.comments.findThreadPage({
      article,
      sort: options.sort,
      limit: options.limit,
      after,
      anchor: options.anchor,
    });
    if (!found.article) {
      throw new NotFoundException('article not found');
    }
    const pageRows = found.top.slice(0, options.limit);
    const roots = pageRows.map(toCommentResponse);
    const byRoot = new Map<string, PublicCommentRow[]>();
    for (const reply of found.replies) {
      const list = byRoot.get(reply.rootId) ?? [];
      list.push(reply);
      byRoot.set(reply.rootId, list);
    }
    for (const root of roots) {
      const rows = byRoot.get(root.id) ?? [];
      root.moreReplies = rows.length > NESTED_REPLY_CAP;
      root.replies = nestUnder(root, rows.slice(0, NESTED_REPLY_CAP));
    }
    const last = pageRows[pageRows.length - 1];
    return {
      items: roots,
      nextCursor:
        found.top.length > options.limit && last ? encodeCursor(pageKey(last, options.sort)) : null,
      total: found.article.commentCount,
    };
  }

  /** The descendants of a visible comment, oldest first, nested within the page. */
  async listReplies(id: string, limit: number, cursor?: string): Promise<Page<CommentNode>> {
    const comment = await this.comments.findById(id);
    const visible =
      comment &&
      (comment.status === 'approved' || (comment.status === 'deleted' && comment.replyCount > 0));
    if (!comment || !visible || !(await this.comments.isArticlePublished(comment.articleId))) {
      throw new NotFoundException('comment not found');
    }
    const after = cursor ? decodeReplyCursor(cursor) : undefined;
    const rows = await this.comments.findDescendantsPage(comment, limit, after);
    const pageRows = rows.slice(0, limit);
    const last = pageRows[pageRows.length - 1];
    return {
      items: buildTree(pageRows),
      nextCursor: rows.length > limit && last ? encodeCursor(sortKey(last, 'oldest')) : null,
    };
  }

  async countForSlug(slug: string): Promise<CommentCountResponse> {
    const article = await this.articles.findPublishedBySlug(slug);
    if (!article) {
      throw new NotFoundException('article not found');
    }
    const inline: Record<string, number> = {};
    for (const [blockId, n] of Object.entries(article.inlineCounts)) {
      if (n > 0) {
        inline[blockId] = n;
      }
    }
    return { total: article.commentCount, inline };
  }

  /** Counts for many articles; an unknown or unpublished slug counts 0. */
  async countForSlugs(slugs: string[]): Promise<Record<string, number>> {
    const counts = await this.comments.countBySlugs([...new Set(slugs)]);
    return Object.fromEntries(slugs.map((slug) => [slug, counts.get(slug) ?? 0]));
  }
}

/** Nests a root's replies (oldest first) under it; a reply whose parent is absent goes to the root. */
function nestUnder(root: CommentNode, rows: PublicCommentRow[]): CommentNode[] {
  const nodes = new Map<string, CommentNode>([[root.id, root]]);
  const direct: CommentNode[] = [];
  for (const row of rows) {
    const node = toCommentResponse(row);
    nodes.set(node.id, node);
    const parent = row.parentId ? nodes.get(row.parentId) : undefined;
    (parent && parent !== root ? parent.replies : direct).push(node);
  }
  return direct;
}
