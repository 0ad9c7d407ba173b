import { Injectable, OnModuleInit } from '@nestjs/common';
import { CommentScreening } from '../comments/comment-screening';
import { judge } from './moderation-policy';
import { ModerationSettingsService, STORED_SETTINGS_SQL } from './moderation-settings.service';

/**
 * Puts the moderation rules in front of every new comment. The settings are read from the
 * database for each comment (by posting's first statement, or here for an edit), so a change made
 * on one instance applies on all of them at once.
 */
@Injectable()
export class ModerationScreen implements OnModuleInit {
  constructor(
    private readonly screening: CommentScreening,
    private readonly settings: ModerationSettingsService,
  ) {}

  onModuleInit(): void {
    this.screening.use(
      async (submission, prefetched) =>
        judge(
          submission,
          prefetched === undefined
            ? await this.settings.current()
            : this.settings.withStored(prefetched),
        ),
      STORED_SETTINGS_SQL,
    );
  }
}
