import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { Page } from '../common/list.dto';
import { AuditEvent, AuditLog } from './audit-log';
import { AdminComment, QueueQuery, toAdminComment } from './dto/admin-comment.dto';
import { ModerationRepository } from './moderation.repository';

/** What moderators read: the queue, one comment, and its history. */
@Injectable()
export class CommentQueueService {
  constructor(
    private readonly moderation: ModerationRepository,
    private readonly audit: AuditLog,
    private readonly dataSource: DataSource,
  ) {}

  async list(query: QueueQuery): Promise<Page<AdminComment>> {
    const rows = await this.moderation.findQueuePage({
      view: query.status,
      articleSlug: query.article,
      limit: query.limit,
      after: query.cursor ? decodeCursor(query.cursor, ['timestamp', 'uuid']) : undefined,
    });
    const pageRows = rows.slice(0, query.limit);
    const items = await this.load(pageRows.map((r) => r.id));
    const last = pageRows[pageRows.length - 1];
    return {
      items,
      nextCursor:
        rows.length > query.limit && last ? encodeCursor([last.cursorTime, last.id]) : null,
    };
  }

  async get(id: string, manager?: EntityManager): Promise<AdminComment> {
    const [comment] = await this.load([id], manager);
    if (!comment) {
      throw new NotFoundException('comment not found');
    }
    return comment;
  }

  /** The audit trail of a comment, oldest first; it outlives the comment itself. */
  async events(id: string): Promise<Page<AuditEvent>> {
    const items = await this.audit.forComment(this.dataSource.manager, id);
    if (items.length === 0 && !(await this.moderation.findArticleSlugOf(id))) {
      throw new NotFoundException('comment not found');
    }
    return { items, nextCursor: null };
  }

  /** AdminComments for these ids, in the order given. */
  private async load(ids: string[], manager?: EntityManager): Promise<AdminComment[]> {
    const { comments, slugs } = await this.moderation.findWithSlugs(ids, manager);
    const reports = await this.moderation.findReports(ids, manager);
    const byId = new Map(comments.map((c) => [c.id, c]));
    return ids
      .map((id) => byId.get(id))
      .filter((c) => c !== undefined)
      .map((c) => toAdminComment(c, slugs.get(c.articleId) ?? '', reports.get(c.id) ?? []));
  }
}
