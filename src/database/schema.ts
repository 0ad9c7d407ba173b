import { ArticleEntity } from '../articles/article.entity';
import { AdminTokenEntity } from '../auth/admin-token.entity';
import { CommentEntity } from '../comments/comment.entity';
import { CommentRevisionEntity } from '../comments/comment-revision.entity';
import { CommentVoteEntity } from '../comments/comment-vote.entity';
import { CreateArticlesAndAdminTokens1764400000000 } from '../../migrations/1764400000000-CreateArticlesAndAdminTokens';
import { CreateRateLimitBuckets1764400001000 } from '../../migrations/1764400001000-CreateRateLimitBuckets';
import { CreateComments1764401000000 } from '../../migrations/1764401000000-CreateComments';
import { RecordGeneratedColumns1764401900000 } from '../../migrations/1764401900000-RecordGeneratedColumns';
import { CreateEmailOutboxAndSuppressions1764402000000 } from '../../migrations/1764402000000-CreateEmailOutboxAndSuppressions';
import { CreateSubscriptions1764402001000 } from '../../migrations/1764402001000-CreateSubscriptions';
import { CreateNewsletterIssues1764402002000 } from '../../migrations/1764402002000-CreateNewsletterIssues';
import { EmailOutboxEntity } from '../mail/email-outbox.entity';
import { SuppressionEntity } from '../mail/suppression.entity';
import { NewsletterIssueEntity } from '../newsletter/newsletter-issue.entity';
import { CommentNotificationEntity } from '../notifications/comment-notification.entity';
import { NotificationDigestEntity } from '../notifications/notification-digest.entity';
import { SubscriptionEntity } from '../subscriptions/subscription.entity';
import { CreateModerationSettingsAndEvents1764403000000 } from '../../migrations/1764403000000-CreateModerationSettingsAndEvents';
import { CreateCommentReportsAndQueueIndexes1764403001000 } from '../../migrations/1764403001000-CreateCommentReportsAndQueueIndexes';
import { CreateCommentNotifications1764404000000 } from '../../migrations/1764404000000-CreateCommentNotifications';
import { AddCommentReportNetworks1764502000000 } from '../../migrations/1764502000000-AddCommentReportNetworks';
import { CreateCommentVoteMoves1764502001000 } from '../../migrations/1764502001000-CreateCommentVoteMoves';
import { IndexOutboxByMailbox1764503000000 } from '../../migrations/1764503000000-IndexOutboxByMailbox';
import { IndexOutboxByNewsletterIssue1764503001000 } from '../../migrations/1764503001000-IndexOutboxByNewsletterIssue';
import { CreateConsoleSessions1764505000000 } from '../../migrations/1764505000000-CreateConsoleSessions';
import { CreateImportLedger1764506000000 } from '../../migrations/1764506000000-CreateImportLedger';
import { CreateWebhooks1764506100000 } from '../../migrations/1764506100000-CreateWebhooks';
import { CreateDataRequests1764506200000 } from '../../migrations/1764506200000-CreateDataRequests';
import { NotifyCommentChanges1764507000000 } from '../../migrations/1764507000000-NotifyCommentChanges';
import { AnnounceReportsOnChangeFeed1764509000000 } from '../../migrations/1764509000000-AnnounceReportsOnChangeFeed';
import { ShardArticleCounters1764510000000 } from '../../migrations/1764510000000-ShardArticleCounters';
import { CreateCommentBodyClaims1764510001000 } from '../../migrations/1764510001000-CreateCommentBodyClaims';

/**
 * Every entity and every migration, listed explicitly rather than found by glob: the same list
 * then works from compiled JavaScript, under the test runner's TypeScript, and in the CLI.
 * Keep migrations in timestamp order.
 */
export const entities = [
  ArticleEntity,
  AdminTokenEntity,
  CommentEntity,
  CommentVoteEntity,
  CommentRevisionEntity,
  EmailOutboxEntity,
  SuppressionEntity,
  SubscriptionEntity,
  NewsletterIssueEntity,
  NotificationDigestEntity,
  CommentNotificationEntity,
];

export const migrations = [
  CreateArticlesAndAdminTokens1764400000000,
  CreateRateLimitBuckets1764400001000,
  CreateComments1764401000000,
  RecordGeneratedColumns1764401900000,
  CreateEmailOutboxAndSuppressions1764402000000,
  CreateSubscriptions1764402001000,
  CreateNewsletterIssues1764402002000,
  CreateModerationSettingsAndEvents1764403000000,
  CreateCommentReportsAndQueueIndexes1764403001000,
  CreateCommentNotifications1764404000000,
  AddCommentReportNetworks1764502000000,
  CreateCommentVoteMoves1764502001000,
  IndexOutboxByMailbox1764503000000,
  IndexOutboxByNewsletterIssue1764503001000,
  CreateConsoleSessions1764505000000,
  CreateImportLedger1764506000000,
  CreateWebhooks1764506100000,
  CreateDataRequests1764506200000,
  NotifyCommentChanges1764507000000,
  AnnounceReportsOnChangeFeed1764509000000,
  ShardArticleCounters1764510000000,
  CreateCommentBodyClaims1764510001000,
];
