import { Injectable, OnModuleInit } from '@nestjs/common';
import { CommentScreening } from '../comments/comment-screening';
import { judge } from './moderation-policy';
import { ModerationSettingsService } from './moderation-settings.service';

/**
 * Puts the moderation rules in front of every new comment. The settings are read from the
 * database for each comment, so a change made on one instance applies on all of them at once.
 */
@Injectable()
export class ModerationScreen implements OnModuleInit {
  constructor(
    private readonly screening: CommentScreening,
    private readonly settings: ModerationSettingsService,
  ) {}

  onModuleInit(): void {
    this.screening.use(async (submission) => judge(submission, await this.settings.current()));
  }
}
