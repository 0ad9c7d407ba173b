import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { EntityManager } from 'typeorm';
import { CommentEntity, CommentStatus } from './comment.entity';
import {
  CommentPublishedEvent,
  CommentStatusChangedInTx,
  CommentVisibilityEvent,
  CommentWithdrawnEvent,
} from './comment.events';
import { CommentsRepository } from './comments.repository';

const MAX_ATTEMPTS = 3;

function isDeadlock(error: unknown): boolean {
  const candidate = error as { code?: unknown; driverError?: { code?: unknown } };
  return candidate?.code === '40P01' || candidate?.driverError?.code === '40P01';
}

/** A transaction in which comments change status; its events are emitted once it commits. */
export interface VisibilityTransaction {
  manager: EntityManager;
  /** `reason` (one or several) is added to the comment's reasons. */
  setStatus(
    comment: CommentEntity,
    status: CommentStatus,
    reason?: string | string[],
  ): Promise<void>;
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
   * Runs `work` in a transaction and emits the events of its status changes after the commit, so
   * a listener never hears of a comment that was rolled back. Counter updates lock the article
   * row and the ancestors of a comment, and concurrent moves in one thread can take those locks in
   * different orders; PostgreSQL then aborts one transaction as a deadlock, and it is run again.
   */
  async transaction<T>(work: (tx: VisibilityTransaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const pending: CommentVisibilityEvent[] = [];
      try {
        const result = await this.comments.transaction((manager) =>
          work({
            manager,
            setStatus: async (comment, status, reason) => {
              const event = await this.setStatus(manager, comment, status, reason);
              if (event) {
                pending.push(event);
              }
            },
            arrived: (comment, origin) =>
              this.emitInTransaction(new CommentStatusChangedInTx(comment, null, manager, origin)),
          }),
        );
        this.publish(pending);
        return result;
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isDeadlock(error)) {
          throw error;
        }
      }
    }
  }

  /**
   * Moves `comment` (which the caller should hold locked) to `status` inside the caller's
   * transaction and returns the event it caused, or null. The caller must hand the event to
   * `publish` after its transaction commits; `transaction()` above does that.
   */
  async setStatus(
    manager: EntityManager,
    comment: CommentEntity,
    status: CommentStatus,
    reason?: string | string[],
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
      await this.comments.shiftVisibleCounters(manager, comment, isVisible ? 1 : -1);
    }
    await this.emitInTransaction(new CommentStatusChangedInTx(comment, previous, manager, null));
    if (wasVisible === isVisible) {
      return null;
    }
    return isVisible
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
    await this.events.emitAsync(CommentStatusChangedInTx.event, event);
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
