import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { EntityManager } from 'typeorm';
import { CommentEntity, CommentStatus } from './comment.entity';
import {
  CommentPublishedEvent,
  CommentsStatusChangedInTx,
  CommentStatusChangedInTx,
  CommentVisibilityEvent,
  CommentWithdrawnEvent,
} from './comment.events';
import { addMove, ArticleCounterMoves } from './article-counters';
import { CommentsRepository } from './comments.repository';
import { emitInTransaction } from '../database/in-transaction-events';

/** A transaction in which comments change status; its events are emitted once it commits. */
export interface VisibilityTransaction {
  manager: EntityManager;
  /** `reason` (one or several) is added to the comment's reasons. */
  setStatus(
    comment: CommentEntity,
    status: CommentStatus,
    reason?: string | string[],
  ): Promise<void>;
  /**
   * Moves many comments (locked by the caller, in id order) to one status in a few statements;
   * comments already in that status are left alone. Returns the ones that moved.
   */
  setStatusMany(
    comments: CommentEntity[],
    status: CommentStatus,
    reason?: string,
  ): Promise<CommentEntity[]>;
  /** Announces a just-inserted comment, in its final status on arrival, to in-transaction listeners. */
  arrived(comment: CommentEntity, origin: { ip: string; userAgent: string | null }): Promise<void>;
}

/**
 * The one way a comment moves between statuses. Only "approved" is publicly visible (a deleted
 * placeholder is shown for its replies but counts for nothing), so a move into or out of it
 * updates, in the caller's transaction, the article's comment count, the block's inline count and
 * the ancestors' reply counts, and yields a typed event. Moderation calls this for approve, hold,
 * spam and trash; authors reach it through delete.
 */
@Injectable()
export class CommentVisibility {
  private readonly logger = new Logger('CommentVisibility');

  constructor(
    private readonly comments: CommentsRepository,
    private readonly events: EventEmitter2,
  ) {}

  /**
   * Runs `work` in a transaction (src/database/transactions.ts: lock order, reruns after a
   * deadlock or a lost connection) and emits the events of its status changes after the commit, so
   * a listener never hears of a comment that was rolled back. The article counters the changes
   * move are written as the transaction's last statement, one UPDATE per article.
   */
  async transaction<T>(work: (tx: VisibilityTransaction) => Promise<T>): Promise<T> {
    const { result, events } = await this.comments.transaction(async (manager) => {
      // Fresh on every attempt: a rerun transaction starts from scratch.
      const events: CommentVisibilityEvent[] = [];
      const counters: ArticleCounterMoves = new Map();
      const result = await work({
        manager,
        setStatus: async (comment, status, reason) => {
          const event = await this.setStatus(manager, comment, status, reason, counters);
          if (event) {
            events.push(event);
          }
        },
        setStatusMany: async (comments, status, reason) => {
          const moved = await this.setStatusMany(manager, comments, status, reason, counters);
          events.push(...moved.events);
          return moved.comments;
        },
        arrived: (comment, origin) =>
          this.emitInTransaction(new CommentStatusChangedInTx(comment, null, manager, origin)),
      });
      await this.comments.applyArticleCounters(manager, counters);
      return { result, events };
    });
    this.publish(events);
    return result;
  }

  /**
   * Moves `comment` (which the caller holds locked) to `status` inside the transaction and
   * returns the event it caused, or null; `transaction()` publishes it after the commit.
   */
  private async setStatus(
    manager: EntityManager,
    comment: CommentEntity,
    status: CommentStatus,
    reason: string | string[] | undefined,
    counters: ArticleCounterMoves,
  ): Promise<CommentVisibilityEvent | null> {
    const previous = comment.status;
    if (previous === status) {
      return null;
    }
    const added = reason === undefined ? [] : Array.isArray(reason) ? reason : [reason];
    const reasons = [...comment.reasons, ...added.filter((r) => r !== '')];
    await this.comments.setStatusColumns(manager, comment.id, {
      status,
      reasons,
      approvedAt: status === 'approved' ? 'now' : undefined,
      deletedAt: status === 'deleted' ? 'now' : undefined,
    });
    comment.status = status;
    comment.reasons = reasons;
    const wasVisible = previous === 'approved';
    const isVisible = status === 'approved';
    if (wasVisible !== isVisible) {
      await this.shiftCounters(manager, [comment], isVisible ? 1 : -1, counters);
    }
    await this.emitInTransaction(new CommentStatusChangedInTx(comment, previous, manager, null));
    if (wasVisible === isVisible) {
      return null;
    }
    return this.visibilityEvent(comment, previous, added);
  }

  /** setStatus for many comments: a few statements and one in-transaction event in all. */
  private async setStatusMany(
    manager: EntityManager,
    comments: CommentEntity[],
    status: CommentStatus,
    reason: string | undefined,
    counters: ArticleCounterMoves,
  ): Promise<{ comments: CommentEntity[]; events: CommentVisibilityEvent[] }> {
    const moving = comments.filter((c) => c.status !== status);
    if (moving.length === 0) {
      return { comments: [], events: [] };
    }
    await this.comments.setStatusColumnsMany(
      manager,
      moving.map((c) => c.id),
      { status, reason },
    );
    const changes = moving.map((comment) => ({ comment, previousStatus: comment.status }));
    for (const comment of moving) {
      comment.status = status;
      comment.reasons = reason ? [...comment.reasons, reason] : comment.reasons;
    }
    const flipped = changes.filter(
      (c) => (c.previousStatus === 'approved') !== (status === 'approved'),
    );
    await this.shiftCounters(
      manager,
      flipped.map((c) => c.comment),
      status === 'approved' ? 1 : -1,
      counters,
    );
    await emitInTransaction(
      this.events,
      CommentsStatusChangedInTx.event,
      new CommentsStatusChangedInTx(changes, manager),
    );
    return {
      comments: moving,
      events: flipped.map((c) =>
        this.visibilityEvent(c.comment, c.previousStatus, reason ? [reason] : []),
      ),
    };
  }

  /**
   * Ancestors' reply counts now (their rows are locked in id order); the article's comment count
   * and inline counts are collected in `counters` and written just before COMMIT.
   */
  private async shiftCounters(
    manager: EntityManager,
    comments: CommentEntity[],
    delta: 1 | -1,
    counters: ArticleCounterMoves,
  ): Promise<void> {
    if (comments.length === 0) {
      return;
    }
    await this.comments.shiftReplyCounts(
      manager,
      comments.map((c) => ({ path: c.path, delta })),
    );
    for (const comment of comments) {
      addMove(counters, comment, delta);
    }
  }

  private visibilityEvent(
    comment: Readonly<CommentEntity>,
    previous: CommentStatus | null,
    added: string[],
  ): CommentVisibilityEvent {
    const status = comment.status;
    return status === 'approved'
      ? new CommentPublishedEvent(
          comment.id,
          comment.articleId,
          comment.parentId,
          comment.rootId,
          comment.path,
          comment.authorEmailHash,
          comment.notify,
          previous,
        )
      : new CommentWithdrawnEvent(
          comment.id,
          comment.articleId,
          comment.parentId,
          comment.rootId,
          comment.authorEmailHash,
          status,
          added.length > 0 ? added.join('; ') : null,
        );
  }

  /** Awaited: a listener's failure propagates and rolls the caller's transaction back. */
  private async emitInTransaction(event: CommentStatusChangedInTx): Promise<void> {
    await emitInTransaction(this.events, CommentStatusChangedInTx.event, event);
  }

  /** Announces a comment that arrived approved, once it is committed (see publish). */
  publishArrival(comment: Readonly<CommentEntity>): void {
    this.publish([this.visibilityEvent(comment, null, [])]);
  }

  /**
   * Emits the events of a committed transaction. The comment is saved whatever a listener does, so
   * a listener's failure is logged here rather than turned into the writer's error; listeners that
   * must not lose work (mail) should record it durably before doing anything slow.
   */
  publish(events: CommentVisibilityEvent[]): void {
    for (const event of events) {
      const name =
        event instanceof CommentPublishedEvent
          ? CommentPublishedEvent.event
          : CommentWithdrawnEvent.event;
      this.events.emitAsync(name, event).catch((error: unknown) => {
        this.logger.error(
          `a ${name} listener failed for comment ${event.commentId}: ${String(error)}`,
        );
      });
    }
  }
}
