import { Injectable, NotFoundException } from '@nestjs/common';
import { ArticlesRepository } from '../articles/articles.repository';
import { ReadContext } from '../database/read-context';
import { encodeCursor } from '../common/cursor';
import { Page } from '../common/list.dto';
import {
  CommentsRepository,
  decodeReplyCursor,
  decodeThreadCursor,
  NESTED_REPLY_CAP,
  ThreadJsonRow,
} from './comments.repository';
import {
  CommentCountResponse,
  CommentNode,
  PublicCommentRow,
  ThreadPage,
  ThreadSort,
  buildTree,
} from './dto/comment.dto';
import { threadPageKey } from './thread-cache-hits';
import { LoadedPage, PreparedPage, preparedPage, ThreadPageCache } from './thread-page-cache';

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
function pageKey(row: ThreadJsonRow, sort: ThreadSort): (string | number)[] {
  const time = row.createdAt!;
  return [
    row.pinned ? 1 : 0,
    ...(sort === 'top' ? [Number(row.score), time, row.id] : [time, row.id]),
  ];
}

/** A comment's JSON text (without its last brace's worth of nesting) and its nested replies. */
class JsonNode {
  readonly replies: JsonNode[] = [];
  moreReplies = false;

  constructor(private readonly json: string) {}

  text(): string {
    const replies = this.replies.map((r) => r.text()).join(',');
    return `${this.json.slice(0, -1)},"replies":[${replies}],"moreReplies":${this.moreReplies}}`;
  }
}

/** Reading threads and counts: the public side of comments. */
@Injectable()
export class CommentThreadService {
  constructor(
    private readonly articles: ArticlesRepository,
    private readonly comments: CommentsRepository,
    private readonly cache: ThreadPageCache,
  ) {}

  /**
   * One page of top-level comments with their replies nested (up to the cap); the public API.
   * Answers the page's JSON text, which is what the thread cache holds.
   */
  async listForSlugJson(
    reads: ReadContext,
    slug: string,
    options: ThreadOptions,
  ): Promise<PreparedPage> {
    // A client that has just written reads around the cache (and on the primary), so it sees
    // its own change whichever instance answers.
    if (reads.freshWriter) {
      return preparedPage((await this.pageJson(reads, { slug }, options)).json);
    }
    return this.cache.read(threadPageKey(slug, options), slug, () =>
      this.pageJson(reads, { slug }, options),
    );
  }

  /** The same for an article the caller has loaded already (the reader page). */
  async listForArticle(
    reads: ReadContext,
    article: { id: string },
    options: ThreadOptions,
  ): Promise<ThreadPage> {
    return JSON.parse((await this.pageJson(reads, { id: article.id }, options)).json) as ThreadPage;
  }

  /**
   * The page as JSON text: PostgreSQL writes each comment's JSON (findThreadPageJson), this
   * only nests the texts, so a page costs no hydration, no mapping and no serialization. With the
   * article's id, which the thread cache files the page under.
   */
  private async pageJson(
    reads: ReadContext,
    article: { slug: string } | { id: string },
    options: ThreadOptions,
  ): Promise<LoadedPage> {
    const after = options.cursor ? decodeThreadCursor(options.cursor, options.sort) : undefined;
    const found = await this.comments.findThreadPageJson(reads, {
      article,
      sort: options.sort,
      limit: options.limit,
      after,
      anchor: options.anchor,
    });
    if (found.article === null) {
      throw new NotFoundException('article not found');
    }
    const pageRows = found.top.slice(0, options.limit);
    const roots = new Map(pageRows.map((row) => [row.id, new JsonNode(row.json)]));
    const byId = new Map<string, JsonNode>();
    let rootId: string | undefined;
    let seen = 0;
    for (const reply of found.replies) {
      const root = roots.get(reply.rootId);
      if (!root) {
        continue; // the look-ahead row's replies
      }
      if (reply.rootId !== rootId) {
        rootId = reply.rootId;
        seen = 0;
        byId.clear();
      }
      seen += 1;
      if (seen > NESTED_REPLY_CAP) {
        root.moreReplies = true;
        continue;
      }
      // A reply whose parent is absent (or is the root) goes directly under the root.
      const node = new JsonNode(reply.json);
      byId.set(reply.id, node);
      ((reply.parentId && byId.get(reply.parentId)) || root).replies.push(node);
    }
    const last = pageRows[pageRows.length - 1];
    const nextCursor =
      found.top.length > options.limit && last
        ? JSON.stringify(encodeCursor(pageKey(last, options.sort)))
        : 'null';
    const items = [...roots.values()].map((n) => n.text()).join(',');
    return {
      articleId: found.article.id,
      json: `{"items":[${items}],"nextCursor":${nextCursor},"total":${found.article.total}}`,
    };
  }

  /** The descendants of a visible comment, oldest first, nested within the page. */
  async listReplies(
    reads: ReadContext,
    id: string,
    limit: number,
    cursor?: string,
  ): Promise<Page<CommentNode>> {
    const comment = await this.comments.findById(id);
    const visible =
      comment &&
      (comment.status === 'approved' || (comment.status === 'deleted' && comment.replyCount > 0));
    if (!comment || !visible || !(await this.comments.isArticlePublished(comment.articleId))) {
      throw new NotFoundException('comment not found');
    }
    const after = cursor ? decodeReplyCursor(cursor) : undefined;
    const rows = await this.comments.findDescendantsPage(reads, comment, limit, after);
    const pageRows = rows.slice(0, limit);
    const last = pageRows[pageRows.length - 1];
    return {
      items: buildTree(pageRows),
      nextCursor: rows.length > limit && last ? encodeCursor(sortKey(last, 'oldest')) : null,
    };
  }

  async countForSlug(reads: ReadContext, slug: string): Promise<CommentCountResponse> {
    const article = await this.articles.findPublishedBySlug(reads, slug);
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
  async countForSlugs(reads: ReadContext, slugs: string[]): Promise<Record<string, number>> {
    const counts = await this.comments.countBySlugs(reads, [...new Set(slugs)]);
    return Object.fromEntries(slugs.map((slug) => [slug, counts.get(slug) ?? 0]));
  }
}
