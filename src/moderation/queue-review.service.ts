import { Injectable } from '@nestjs/common';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { AdminComment, QueueQuery, toAdminComment } from './dto/admin-comment.dto';
import {
  OtherCommentView,
  ParentView,
  QueueCounts,
  QueueReviewRepository,
} from './queue-review.repository';

export interface QueueReviewItem {
  comment: AdminComment;
  articleTitle: string;
  anchorText: string | null;
  parent: ParentView | null;
  others: OtherCommentView[];
  otherCounts: Partial<Record<string, number>>;
}

export interface QueueReview {
  items: QueueReviewItem[];
  nextCursor: string | null;
  counts: QueueCounts;
}

/**
 * The queue as a moderator works through it: the API's queue (same filters, same keyset, same
 * AdminComment) with the context a decision needs, read in one statement.
 */
@Injectable()
export class QueueReviewService {
  constructor(private readonly reviews: QueueReviewRepository) {}

  async review(query: QueueQuery): Promise<QueueReview> {
    const { rows, counts } = await this.reviews.findReviewPage({
      view: query.status,
      articleSlug: query.article,
      limit: query.limit,
      after: query.cursor ? decodeCursor(query.cursor, ['timestamp', 'uuid']) : undefined,
    });
    const pageRows = rows.slice(0, query.limit);
    const last = pageRows[pageRows.length - 1];
    return {
      items: pageRows.map((r) => ({
        comment: toAdminComment(r.comment, r.articleSlug, r.reports),
        articleTitle: r.articleTitle,
        anchorText: r.anchorText,
        parent: r.parent,
        others: r.others,
        otherCounts: r.otherCounts,
      })),
      nextCursor:
        rows.length > query.limit && last ? encodeCursor([last.cursorTime, last.comment.id]) : null,
      counts,
    };
  }

  counts(): Promise<QueueCounts> {
    return this.reviews.counts();
  }
}
