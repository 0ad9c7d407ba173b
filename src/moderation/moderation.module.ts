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
  ],
})
export class ModerationModule {}
