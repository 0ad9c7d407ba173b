import {
  ConflictException,
  ForbiddenException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { EntityManager } from 'typeorm';
import { networkOf } from '../common/client-keys';
import { RateLimiter } from '../common/rate-limit';
import { hashToken, sameHash } from '../common/tokens';
import { renderCommentBody } from './comment-body';
import { CommentEntity } from './comment.entity';
import { CommentAuthorChangeInTx } from './comment.events';
import { COMMENT_RATE_RULES, WriterContext } from './comment-rate-limits';
import { CommentScreening, ScreeningVerdict, statusAfterEdit } from './comment-screening';
import { CommentVisibility, VisibilityTransaction } from './comment-visibility.service';
import { CommentsRepository } from './comments.repository';
import { CommentNode, toCommentResponse } from './dto/comment.dto';
import { emitInTransaction } from '../database/in-transaction-events';

/**
 * Authors fixing or removing what they wrote: edit token, 15-minute window, no replies yet. An
 * edit is screened like a new comment; text that would be held or refused takes the comment out
 * of the public thread with the screen's reasons.
 */
@Injectable()
export class CommentAuthoringService {
  constructor(
    private readonly comments: CommentsRepository,
    private readonly visibility: CommentVisibility,
    private readonly limiter: RateLimiter,
    private readonly screening: CommentScreening,
    private readonly events: EventEmitter2,
  ) {}

  /**
   * The author's own view of a comment in any status but deleted (held, spam and trash all read as
   * "pending"), so the reader page can show a held comment to the browser that wrote it.
   */
  async ownComment(id: string, token: string | undefined): Promise<CommentNode> {
    const found = await this.comments.findById(id);
    if (!found || found.status === 'deleted') {
      throw new NotFoundException('comment not found');
    }
    if (!token || !sameHash(hashToken(token), found.editTokenHash)) {
      throw new ForbiddenException('the edit token does not match this comment');
    }
    return toCommentResponse(found);
  }

  /** The edited comment, and its article (whose thread pages the edit changes). */
  async edit(
    id: string,
    token: string | undefined,
    body: string,
    writer: WriterContext,
  ): Promise<{ comment: CommentNode; articleId: string }> {
    return this.asAuthor(
      id,
      token,
      writer,
      // Screened before the transaction: the screen reads the settings through the pool.
      async (found) =>
        this.screening.judge({
          body,
          authorName: found.authorName,
          authorEmail: found.authorEmail,
          ip: writer.ip,
          honeypotFilled: false,
          trustedAuthor: await this.comments.hasApprovedCommentFrom(found.authorEmailHash),
        }),
      async (comment, tx, verdict) => {
        const fromStatus = comment.status as 'approved' | 'pending';
        const rendered = renderCommentBody(body);
        const revisionId = await this.comments.saveBody(
          tx.manager,
          comment,
          { source: body, html: rendered.html, renderVersion: rendered.renderVersion },
          'author',
        );
        const screened = await this.applyVerdict(tx, comment, fromStatus, verdict);
        await emitInTransaction(
          this.events,
          CommentAuthorChangeInTx.event,
          new CommentAuthorChangeInTx(
            comment,
            'edit',
            fromStatus,
            revisionId,
            screened,
            tx.manager,
          ),
        );
        const saved = await this.comments.findById(id, tx.manager);
        return { comment: toCommentResponse(saved!), articleId: comment.articleId };
      },
    );
  }

  /** Answers the removed comment's article (whose thread pages the removal changes). */
  async remove(id: string, token: string | undefined, writer: WriterContext): Promise<string> {
    return this.asAuthor(
      id,
      token,
      writer,
      () => Promise.resolve(null),
      async (comment, tx) => {
        const fromStatus = comment.status;
        await tx.setStatus(comment, 'deleted', 'deleted by its author');
        await emitInTransaction(
          this.events,
          CommentAuthorChangeInTx.event,
          new CommentAuthorChangeInTx(comment, 'delete', fromStatus, null, null, tx.manager),
        );
        return comment.articleId;
      },
    );
  }

  /**
   * The stricter of the comment's status and the screen's verdict; a held comment gains the new
   * reasons. Moving out of "approved" withdraws its pending notifications and alerts the
   * moderators, through the same status change a moderator's hold makes.
   */
  private async applyVerdict(
    tx: VisibilityTransaction,
    comment: CommentEntity,
    fromStatus: 'approved' | 'pending',
    verdict: ScreeningVerdict | null,
  ): Promise<ScreeningVerdict | null> {
    if (!verdict || verdict.status === 'approved') {
      return null;
    }
    const fresh = verdict.reasons.filter((r) => !comment.reasons.includes(r));
    const status = statusAfterEdit(fromStatus, verdict);
    if (status !== fromStatus) {
      await tx.setStatus(comment, status, fresh);
    } else if (fresh.length > 0) {
      comment.reasons = [...comment.reasons, ...fresh];
      await this.comments.setReasons(tx.manager, comment.id, comment.reasons);
    } else {
      return null;
    }
    return { status, reasons: fresh };
  }

  /**
   * Checks in the order API.md gives: 404 unknown, 403 wrong token, 409 window over or replied.
   * The token is checked before any limit is charged: a wrong token costs the caller's network
   * (and answers 429 once it is spent), never the author, whose right token always works.
   */
  private async asAuthor<T, S>(
    id: string,
    token: string | undefined,
    writer: WriterContext,
    prepare: (found: CommentEntity) => Promise<S>,
    work: (comment: CommentEntity, tx: VisibilityTransaction, prepared: S) => Promise<T>,
  ): Promise<T> {
    const found = await this.comments.findById(id);
    if (!found || !['pending', 'approved'].includes(found.status)) {
      throw new NotFoundException('comment not found');
    }
    if (!token || !sameHash(hashToken(token), found.editTokenHash)) {
      await this.limiter.consume([
        { rule: COMMENT_RATE_RULES.wrongEditTokenPerNetwork, subject: networkOf(writer.ip) },
      ]);
      throw new ForbiddenException('the edit token does not match this comment');
    }
    // Only the token's holder reaches this limit, so it can lock no one else out.
    await this.limiter.consume([{ rule: COMMENT_RATE_RULES.editPerComment, subject: id }]);
    const prepared = await prepare(found);
    return this.visibility.transaction(async (tx) => {
      const comment = await this.lockEditable(tx.manager, id);
      return work(comment, tx, prepared);
    });
  }

  private async lockEditable(manager: EntityManager, id: string): Promise<CommentEntity> {
    const comment = await this.comments.findByIdForUpdate(manager, id);
    if (!comment || !['pending', 'approved'].includes(comment.status)) {
      throw new NotFoundException('comment not found');
    }
    if (Date.now() > comment.editableUntil.getTime()) {
      throw new ConflictException('the edit window of this comment has closed');
    }
    if (await this.comments.hasLiveReplies(manager, id)) {
      throw new ConflictException('this comment has replies and can no longer be changed');
    }
    return comment;
  }
}
