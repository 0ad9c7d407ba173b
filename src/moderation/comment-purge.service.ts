import { Injectable, NotFoundException } from '@nestjs/common';
import { CommentVisibility } from '../comments/comment-visibility.service';
import { CommentsRepository } from '../comments/comments.repository';
import { AuditLog } from './audit-log';
import { ModerationRepository } from './moderation.repository';

/**
 * Purging a comment for good. A comment with replies stays as an empty "deleted" placeholder so
 * the thread keeps its shape; one without replies is deleted with its votes, revisions and
 * reports. The audit trail survives either way.
 */
@Injectable()
export class CommentPurgeService {
  constructor(
    private readonly comments: CommentsRepository,
    private readonly visibility: CommentVisibility,
    private readonly moderation: ModerationRepository,
    private readonly audit: AuditLog,
  ) {}

  async purge(id: string, actor: string): Promise<void> {
    await this.visibility.transaction(async (tx) => {
      // FOR UPDATE, not the narrower lock the others take: this one may delete the row.
      const comment = await this.comments.findByIdForUpdate(tx.manager, id, 'delete');
      if (!comment) {
        throw new NotFoundException('comment not found');
      }
      const from = comment.status;
      // Withdrawing first moves the counters and tells listeners the comment is gone.
      await tx.setStatus(comment, 'deleted', 'purged by a moderator');
      const placeholder = await this.moderation.hasReplies(tx.manager, id);
      if (placeholder) {
        await this.moderation.erasePlaceholder(tx.manager, id);
      } else {
        await this.moderation.deleteComment(tx.manager, id);
      }
      await this.audit.record(tx.manager, {
        actor,
        action: 'comment.purge',
        commentId: id,
        articleId: comment.articleId,
        fromStatus: from,
        toStatus: placeholder ? 'deleted' : 'purged',
        details: { placeholder },
      });
    });
  }
}
