import { Injectable, OnModuleInit } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { CommentArrivals } from '../comments/comment-arrivals';
import { CommentAuthorChangeInTx } from '../comments/comment.events';
import { AuditEntry, AuditLog } from './audit-log';

/** The actor named in the history for what an author does with their own comment. */
export const AUTHOR_ACTOR = 'author';

/** The actor named when the moderation rules, not a person, move a comment. */
export const RULES_ACTOR = 'moderation rules';

const SCREEN_ACTIONS: Record<string, string> = {
  pending: 'comment.hold',
  spam: 'comment.spam',
};

/**
 * The history entry of an arrival (with the status and reasons it got), written by the posting
 * statement itself over its `arrived` row (CommentArrivals).
 */
const ARRIVAL_RECORD = `
  INSERT INTO moderation_events
    (comment_id, article_id, actor, action, from_status, to_status, reason, details)
  SELECT id, article_id, '${AUTHOR_ACTOR}', 'comment.arrive', NULL, status,
    NULLIF(array_to_string(reasons, '; '), ''), jsonb_build_object('reasons', to_jsonb(reasons))
  FROM arrived`;

/**
 * Writes what comments do on their own into the moderation history, in the transaction that does
 * it: every arrival (with the status and reasons it got) and every author edit or deletion (with
 * the revision it created, and the screen's verdict when the new text changed the comment's
 * standing). Moderators' own decisions and reports are recorded where they are made.
 */
@Injectable()
export class ModerationHistoryListener implements OnModuleInit {
  constructor(
    private readonly audit: AuditLog,
    private readonly arrivals: CommentArrivals,
  ) {}

  onModuleInit(): void {
    this.arrivals.register({ name: 'history', record: ARRIVAL_RECORD });
  }

  @OnEvent(CommentAuthorChangeInTx.event, { suppressErrors: false })
  async onAuthorChange(event: CommentAuthorChangeInTx): Promise<void> {
    const { comment, screened } = event;
    const base = { commentId: comment.id, articleId: comment.articleId };
    const entries: AuditEntry[] = [
      event.change === 'edit'
        ? {
            ...base,
            actor: AUTHOR_ACTOR,
            action: 'comment.edit',
            fromStatus: event.fromStatus,
            toStatus: event.fromStatus,
            // The previous body is in the revision, which a purge erases; the audit keeps no text.
            details: { revisionId: event.revisionId },
          }
        : {
            ...base,
            actor: AUTHOR_ACTOR,
            action: 'comment.delete',
            fromStatus: event.fromStatus,
            toStatus: comment.status,
          },
    ];
    if (screened) {
      entries.push({
        ...base,
        actor: RULES_ACTOR,
        action: SCREEN_ACTIONS[screened.status] ?? 'comment.hold',
        fromStatus: event.fromStatus,
        toStatus: screened.status,
        reason: screened.reasons.join('; '),
        details: { reasons: screened.reasons, after: 'edit' },
      });
    }
    await this.audit.recordMany(event.manager, entries);
  }
}
