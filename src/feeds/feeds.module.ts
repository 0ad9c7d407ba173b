import { Module } from '@nestjs/common';
import { ScaleOutModule } from '../database/scale-out.module';
import { FeedsController } from './feeds.controller';
import { FeedsService } from './feeds.service';

/** Atom feeds of approved comments, site-wide and per article. */
@Module({
  imports: [ScaleOutModule],
  controllers: [FeedsController],
  providers: [FeedsService],
})
export class FeedsModule {}
