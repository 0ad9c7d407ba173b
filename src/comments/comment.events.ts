import { EntityManager } from 'typeorm';
import { CommentEntity, CommentStatus, NotifyChoice } from './comment.entity';

/**
 * A comment became publicly visible (approved). Emitted only after the transaction that made it
 * visible has committed, so listeners may read it from the database and enqueue work of their own.
 */
export class CommentPublishedEvent {
  static readonly event = 'comment.published';

  constructor(
    readonly commentId: string,
    readonly articleId: string,
    readonly parentId: string | null,
    readonly rootId: string,
    /** Ancestors from the root down to the parent, for reply notifications up the thread. */
    readonly path: string[],
    /** Keyed hash of the author's address (never the address itself). */
    readonly authorEmailHash: string,
    readonly notify: NotifyChoice,
    readonly previousStatus: CommentStatus | null,
  ) {}
}

/** A visible comment stopped being visible (held, spam, trash, deleted). Emitted after commit. */
export class CommentWithdrawnEvent {
  static readonly event = 'comment.withdrawn';

  constructor(
    readonly commentId: string,
    readonly articleId: string,
    readonly parentId: string | null,
    readonly rootId: string,
    readonly authorEmailHash: string,
    readonly status: CommentStatus,
    readonly reason: string | null,
  ) {}
}

export type CommentVisibilityEvent = CommentPublishedEvent | CommentWithdrawnEvent;

/**
 * A comment was stored (`previousStatus` null) or changed status. Emitted and awaited INSIDE the
 * transaction that made the change, with its EntityManager, so a listener's durable work (outbox
 * rows) commits or rolls back with the change; a listener's error rolls the change back.
 * Listeners must use only `manager` (PGlite has one connection) and stay quick.
 */
export class CommentStatusChangedInTx {
  static readonly event = 'comment.status-changed-in-tx';

  constructor(
    readonly comment: Readonly<CommentEntity>,
    readonly previousStatus: CommentStatus | null,
    readonly manager: EntityManager,
    /** The writer's request, on arrival only (for consent records). */
    readonly origin: { ip: string; userAgent: string | null } | null,
  ) {}
}

/**
 * Many comments changed status in one statement (a bulk decision). Emitted and awaited inside
 * the transaction, like CommentStatusChangedInTx, so listeners can do their work set-based.
 */
export class CommentsStatusChangedInTx {
  static readonly event = 'comments.status-changed-in-tx';

  constructor(
    readonly changes: readonly {
      comment: Readonly<CommentEntity>;
      previousStatus: CommentStatus;
    }[],
    readonly manager: EntityManager,
  ) {}
}

/**
 * An author edited or deleted their comment. Emitted and awaited INSIDE the transaction that made
 * the change (after any status change it caused), so the moderation history records it with the
 * change or not at all. `screened` is the verdict of the screen on the new text, when it changed
 * the comment's status or reasons.
 */
export class CommentAuthorChangeInTx {
  static readonly event = 'comment.author-change-in-tx';

  constructor(
    readonly comment: Readonly<CommentEntity>,
    readonly change: 'edit' | 'delete',
    readonly fromStatus: CommentStatus,
    /** The revision that keeps the previous body (edits only). */
    readonly revisionId: string | null,
    readonly screened: { status: CommentStatus; reasons: string[] } | null,
    readonly manager: EntityManager,
  ) {}
}
