import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ArticlesModule } from '../articles/articles.module';
import { CommonModule } from '../common/common.module';
import { ScaleOutModule } from '../database/scale-out.module';
import { CommentAnchorsListener } from './comment-anchors.listener';
import { CommentArrivalRepository } from './comment-arrival.repository';
import { CommentArrivals } from './comment-arrivals';
import { CommentAuthoringService } from './comment-authoring.service';
import { CommentEntity } from './comment.entity';
import { CommentPageService } from './comment-page.service';
import { CommentRevisionEntity } from './comment-revision.entity';
import { CommentScreening } from './comment-screening';
import { CommentThreadService } from './comment-thread.service';
import { CommentVisibility } from './comment-visibility.service';
import { CommentVoteEntity } from './comment-vote.entity';
import { CommentVotesService } from './comment-votes.service';
import { ArticleCommentsController, CommentsController } from './comments.controller';
import { CommentsRepository } from './comments.repository';
import { PostCommentService } from './post-comment.service';
import { ThreadCacheInvalidation } from './thread-cache-invalidation';
import { ThreadPageCache } from './thread-page-cache';

@Module({
  imports: [
    TypeOrmModule.forFeature([CommentEntity, CommentVoteEntity, CommentRevisionEntity]),
    ArticlesModule,
    CommonModule,
    ScaleOutModule,
  ],
  controllers: [ArticleCommentsController, CommentsController],
  providers: [
    CommentsRepository,
    CommentArrivalRepository,
    CommentArrivals,
    CommentVisibility,
    PostCommentService,
    CommentThreadService,
    CommentAuthoringService,
    CommentVotesService,
    CommentAnchorsListener,
    CommentPageService,
    CommentScreening,
    ThreadPageCache,
    ThreadCacheInvalidation,
  ],
  // The page reads threads and posts forms; moderation moves comments between statuses and
  // screens new ones; notifications, webhooks and the history say what they do on arrival.
  exports: [
    CommentThreadService,
    PostCommentService,
    CommentPageService,
    CommentVisibility,
    CommentsRepository,
    CommentScreening,
    CommentArrivals,
  ],
})
export class CommentsModule {}
