import {
  BadRequestException,
  ConflictException,
  Injectable,
  NotFoundException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { renderCommentBody } from '../comments/comment-body';
import { CommentEntity } from '../comments/comment.entity';
import { CommentVisibility, VisibilityTransaction } from '../comments/comment-visibility.service';
import { CommentsRepository } from '../comments/comments.repository';
import { AuditEntry, AuditLog } from './audit-log';
import { CommentQueueService } from './comment-queue.service';
import { AdminComment, Decision, DecideCommentDto } from './dto/admin-comment.dto';
import { ModerationRepository } from './moderation.repository';

const ACTIONS: Record<Decision, string> = {
  approved: 'comment.approve',
  pending: 'comment.hold',
  spam: 'comment.spam',
  trash: 'comment.trash',
};

/**
 * Moderators' decisions on one comment or many. Every status move goes through CommentVisibility
 * (counters and events follow), on rows locked for the transaction, and is audited in it.
 */
@Injectable()
export class CommentDecisionsService {
  constructor(
    private readonly comments: CommentsRepository,
    private readonly visibility: CommentVisibility,
    private readonly moderation: ModerationRepository,
    private readonly audit: AuditLog,
    private readonly queue: CommentQueueService,
  ) {}

  async decide(id: string, input: DecideCommentDto, actor: string): Promise<AdminComment> {
    if (input.status === undefined && input.pinned === undefined && input.body === undefined) {
      throw new BadRequestException('give at least one of status, pinned or body');
    }
    await this.visibility.transaction(async (tx) => {
      const comment = await this.comments.findByIdForUpdate(tx.manager, id);
      if (!comment) {
        throw new NotFoundException('comment not found');
      }
      if (comment.status === 'deleted') {
        throw new ConflictException('this comment was deleted; it can only be purged');
      }
      if (input.status !== undefined) {
        await this.move(tx, comment, input.status, actor, input.reason);
      }
      if (input.pinned !== undefined && input.pinned !== comment.pinned) {
        await this.pin(tx, comment, input.pinned, actor, input.reason);
      }
      if (input.body !== undefined && input.body !== comment.bodySource) {
        await this.editBody(tx, comment, input.body, actor, input.reason);
      }
    });
    return this.queue.get(id);
  }

  /**
   * One decision for many comments in one transaction. Comments already in that status, deleted
   * ones and unknown ids are left alone, except that approving an approved comment with reports
   * clears its reports; `updated` counts the comments that moved or were cleared.
   */
  async bulk(ids: string[], status: Decision, actor: string): Promise<{ updated: number }> {
    const unique = [...new Set(ids)];
    return this.visibility.transaction(async (tx) => {
      // Set-based: one lock statement, one update, one counter statement per kind, one audit
      // insert; the article row only at the very end (see src/database/transactions.ts).
      const locked = await this.moderation.lockManyInIdOrder(tx.manager, unique);
      // Read before the move: setStatusMany updates the entities it is given.
      const from = new Map(locked.map((c) => [c.id, c.status]));
      const moved = await tx.setStatusMany(
        locked.filter((c) => c.status !== 'deleted'),
        status,
      );
      const audited: AuditEntry[] = moved.map((comment) => ({
        actor,
        action: ACTIONS[status],
        commentId: comment.id,
        articleId: comment.articleId,
        fromStatus: from.get(comment.id)!,
        toStatus: status,
        details: { bulk: true },
      }));
      // An explicit approval of an approved comment clears its reports (and is audited).
      const alreadyApproved =
        status === 'approved'
          ? locked.filter((c) => from.get(c.id) === 'approved').map((c) => c.id)
          : [];
      for (const cleared of await this.moderation.clearReports(tx.manager, alreadyApproved)) {
        audited.push(this.reportsCleared(cleared, actor, undefined, { bulk: true }));
      }
      await this.audit.recordMany(tx.manager, audited);
      // The comments that moved, and the approved ones whose reports an approval cleared.
      return { updated: audited.length };
    });
  }

  private async move(
    tx: VisibilityTransaction,
    comment: CommentEntity,
    status: Decision,
    actor: string,
    reason: string | undefined,
  ): Promise<void> {
    const from = comment.status;
    if (from === 'approved' && status === 'approved') {
      // Approving again is how a moderator answers reports: they are cleared, and that is audited.
      const [cleared] = await this.moderation.clearReports(tx.manager, [comment.id]);
      if (cleared) {
        await this.audit.record(tx.manager, this.reportsCleared(cleared, actor, reason));
      }
      return;
    }
    if (from === status) {
      return;
    }
    await tx.setStatus(comment, status, reason);
    await this.audit.record(tx.manager, {
      actor,
      action: ACTIONS[status],
      commentId: comment.id,
      articleId: comment.articleId,
      fromStatus: from,
      toStatus: status,
      reason: reason ?? null,
    });
  }

  private reportsCleared(
    cleared: { id: string; articleId: string; cleared: number },
    actor: string,
    reason: string | undefined,
    details: Record<string, unknown> = {},
  ): AuditEntry {
    return {
      actor,
      action: ACTIONS.approved,
      commentId: cleared.id,
      articleId: cleared.articleId,
      fromStatus: 'approved',
      toStatus: 'approved',
      reason: reason ?? null,
      details: { ...details, reportsCleared: cleared.cleared },
    };
  }

  private async pin(
    tx: VisibilityTransaction,
    comment: CommentEntity,
    pinned: boolean,
    actor: string,
    reason: string | undefined,
  ): Promise<void> {
    if (pinned && comment.parentId !== null) {
      throw new UnprocessableEntityException('only a top-level comment can be pinned');
    }
    await this.moderation.setPinned(tx.manager, comment.id, pinned);
    comment.pinned = pinned;
    await this.audit.record(tx.manager, {
      actor,
      action: pinned ? 'comment.pin' : 'comment.unpin',
      commentId: comment.id,
      articleId: comment.articleId,
      fromStatus: comment.status,
      toStatus: comment.status,
      reason: reason ?? null,
    });
  }

  /** Re-rendered through the comments renderer; the old body is kept as a moderator revision. */
  private async editBody(
    tx: VisibilityTransaction,
    comment: CommentEntity,
    body: string,
    actor: string,
    reason: string | undefined,
  ): Promise<void> {
    const rendered = renderCommentBody(body);
    const revisionId = await this.comments.saveBody(
      tx.manager,
      comment,
      { source: body, html: rendered.html, renderVersion: rendered.renderVersion },
      `moderator:${actor}`,
    );
    await this.audit.record(tx.manager, {
      actor,
      action: 'comment.edit',
      commentId: comment.id,
      articleId: comment.articleId,
      fromStatus: comment.status,
      toStatus: comment.status,
      reason: reason ?? null,
      // The previous body is in the revision, which a purge erases; the audit keeps no text.
      details: { revisionId },
    });
  }
}
