import { CommentStatus, NotifyChoice } from './comment.entity';

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
