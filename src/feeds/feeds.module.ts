import { Module } from '@nestjs/common';
import { FeedsController } from './feeds.controller';
import { FeedsService } from './feeds.service';

/** Atom feeds of approved comments, site-wide and per article. */
@Module({
  controllers: [FeedsController],
  providers: [FeedsService],
})
export class FeedsModule {}
