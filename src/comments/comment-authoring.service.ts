import {
  ConflictException,
  ForbiddenException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { RateLimiter } from '../common/rate-limit';
import { hashToken, sameHash } from '../common/tokens';
import { renderCommentBody } from './comment-body';
import { CommentEntity } from './comment.entity';
import { COMMENT_RATE_RULES, WriterContext } from './comment-rate-limits';
import { CommentVisibility, VisibilityTransaction } from './comment-visibility.service';
import { CommentsRepository } from './comments.repository';
import { CommentNode, toCommentResponse } from './dto/comment.dto';

/** Authors fixing or removing what they wrote: edit token, 15-minute window, no replies yet. */
@Injectable()
export class CommentAuthoringService {
  constructor(
    private readonly comments: CommentsRepository,
    private readonly visibility: CommentVisibility,
    private readonly limiter: RateLimiter,
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

  async edit(
    id: string,
    token: string | undefined,
    body: string,
    writer: WriterContext,
  ): Promise<CommentNode> {
    return this.asAuthor(id, token, writer, async (comment, tx) => {
      const rendered = renderCommentBody(body);
      await this.comments.saveBody(
        tx.manager,
        comment,
        { source: body, html: rendered.html, renderVersion: rendered.renderVersion },
        'author',
      );
      const saved = await this.comments.findById(id, tx.manager);
      return toCommentResponse(saved!);
    });
  }

  async remove(id: string, token: string | undefined, writer: WriterContext): Promise<void> {
    await this.asAuthor(id, token, writer, (comment, tx) =>
      tx.setStatus(comment, 'deleted', 'deleted by its author'),
    );
  }

  /** Checks in the order API.md gives: 404 unknown, 403 wrong token, 409 window over or replied. */
  private async asAuthor<T>(
    id: string,
    token: string | undefined,
    writer: WriterContext,
    work: (comment: CommentEntity, tx: VisibilityTransaction) => Promise<T>,
  ): Promise<T> {
    const found = await this.comments.findById(id);
    if (!found || !['pending', 'approved'].includes(found.status)) {
      throw new NotFoundException('comment not found');
    }
    await this.limiter.consume([
      { rule: COMMENT_RATE_RULES.editPerIp, subject: writer.ip },
      { rule: COMMENT_RATE_RULES.editPerAddress, subject: found.authorEmail },
    ]);
    if (!token || !sameHash(hashToken(token), found.editTokenHash)) {
      throw new ForbiddenException('the edit token does not match this comment');
    }
    return this.visibility.transaction(async (tx) => {
      const comment = await this.lockEditable(tx.manager, id);
      return work(comment, tx);
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
