import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { WriterContext } from '../comments/comment-rate-limits';
import { CommentVisibility } from '../comments/comment-visibility.service';
import { CommentsRepository } from '../comments/comments.repository';
import { RateLimiter, RateRule } from '../common/rate-limit';
import { networkHash } from '../common/client-keys';
import { hashPersonal } from '../common/tokens';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AuditLog } from './audit-log';
import { ModerationSettingsService } from './moderation-settings.service';
import { ModerationRepository } from './moderation.repository';

const VOTER_ID = /^[\x21-\x7e]{16,128}$/;

export const REPORT_RATE_RULE: RateRule = {
  name: 'comment:report:ip',
  limit: 10,
  windowSeconds: 60,
  per: 'network',
};

/** The actor named in the audit trail when reports, not a person, hold a comment. */
export const REPORTS_ACTOR = 'reader reports';

/** The actor of one report in the audit trail: readers are anonymous. */
export const REPORTER_ACTOR = 'reader';

/**
 * Readers flag comments; reports from enough distinct networks since the last approval hold one
 * for review. Voter ids only keep one browser from filing the same report twice: a client chooses
 * them freely, so they never count towards the threshold.
 */
@Injectable()
export class CommentReportsService {
  constructor(
    private readonly comments: CommentsRepository,
    private readonly visibility: CommentVisibility,
    private readonly moderation: ModerationRepository,
    private readonly settings: ModerationSettingsService,
    private readonly audit: AuditLog,
    private readonly limiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Reports from the API: the reader's browser keeps a voter id, as for votes. Answers the
   * reported comment's article (whose thread pages a hold changes).
   */
  reportAsVoter(
    id: string,
    voterId: string | undefined,
    reason: string,
    writer: WriterContext,
  ): Promise<string> {
    if (!voterId || !VOTER_ID.test(voterId)) {
      throw new BadRequestException('X-Voter-Id must be 16 to 128 printable characters');
    }
    return this.report(id, `voter:${voterId}`, reason, writer);
  }

  /** Reports from the page without JavaScript: the reader is known only by address and browser. */
  reportFromPage(id: string, reason: string, writer: WriterContext): Promise<string> {
    return this.report(id, `page:${writer.ip}:${writer.userAgent ?? ''}`, reason, writer);
  }

  private async report(
    id: string,
    reporter: string,
    reason: string,
    writer: WriterContext,
  ): Promise<string> {
    await this.limiter.consume([{ rule: REPORT_RATE_RULE, subject: writer.ip }]);
    const { reportThreshold } = await this.settings.current();
    return this.visibility.transaction(async (tx) => {
      // The comment's row lock orders concurrent reports, so exactly one of them crosses the
      // threshold. The article row is not locked (see src/database/transactions.ts).
      const comment = await this.comments.findByIdForUpdate(tx.manager, id);
      if (
        !comment ||
        !['approved', 'pending'].includes(comment.status) ||
        !(await this.moderation.isArticlePublished(tx.manager, comment.articleId))
      ) {
        throw new NotFoundException('comment not found');
      }
      const network = networkHash(writer.ip, this.config.hashSecret);
      const added = await this.moderation.addReport(tx.manager, {
        commentId: id,
        articleId: comment.articleId,
        voterKey: hashPersonal(`reporter:${reporter}`, this.config.hashSecret),
        reason: reason.trim(),
        ipHash: hashPersonal(`ip:${writer.ip}`, this.config.hashSecret),
        networkHash: network,
      });
      if (!added) {
        return comment.articleId;
      }
      await this.audit.record(tx.manager, {
        actor: REPORTER_ACTOR,
        action: 'comment.report',
        commentId: id,
        articleId: comment.articleId,
        fromStatus: comment.status,
        toStatus: comment.status,
        // Tells a moderator which reports came from one network, without naming it. The reader's
        // words stay with the report (AdminComment.reports), which a purge erases.
        details: { network: network.slice(0, 12) },
      });
      if (comment.status !== 'approved') {
        return comment.articleId;
      }
      const count = await this.moderation.countReportingNetworks(tx.manager, comment);
      if (count < reportThreshold) {
        return comment.articleId;
      }
      const why = `reported from ${count} network${count === 1 ? '' : 's'}`;
      await tx.setStatus(comment, 'pending', why);
      await this.audit.record(tx.manager, {
        actor: REPORTS_ACTOR,
        action: 'comment.hold',
        commentId: id,
        articleId: comment.articleId,
        fromStatus: 'approved',
        toStatus: 'pending',
        reason: why,
      });
      return comment.articleId;
    });
  }
}
