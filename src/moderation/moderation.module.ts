import { Module } from '@nestjs/common';
import { CommentsModule } from '../comments/comments.module';
import { CommonModule } from '../common/common.module';
import { AdminCommentsController } from './admin-comments.controller';
import { AuditLog } from './audit-log';
import { CommentDecisionsService } from './comment-decisions.service';
import { CommentPurgeService } from './comment-purge.service';
import { CommentQueueService } from './comment-queue.service';
import { CommentReportsController } from './comment-reports.controller';
import { CommentReportsService } from './comment-reports.service';
import { ModerationHistoryListener } from './moderation-history.listener';
import { ModerationRepository } from './moderation.repository';
import { ModerationScreen } from './moderation-screen';
import { ModerationSettingsController } from './moderation-settings.controller';
import { ModerationSettingsService } from './moderation-settings.service';
import { AuditSearch } from './audit-search';
import { QueueReviewRepository } from './queue-review.repository';
import { QueueReviewService } from './queue-review.service';

@Module({
  imports: [CommentsModule, CommonModule],
  controllers: [ModerationSettingsController, AdminCommentsController, CommentReportsController],
  providers: [
    ModerationSettingsService,
    AuditLog,
    ModerationRepository,
    ModerationScreen,
    CommentQueueService,
    CommentDecisionsService,
    CommentPurgeService,
    CommentReportsService,
    ModerationHistoryListener,
    QueueReviewRepository,
    QueueReviewService,
    AuditSearch,
  ],
  // The moderation console (src/console) works through these, as the admin API does.
  exports: [
    CommentQueueService,
    CommentDecisionsService,
    CommentPurgeService,
    ModerationSettingsService,
    QueueReviewService,
    AuditSearch,
  ],
})
export class ModerationModule {}
