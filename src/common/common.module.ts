import { Module } from '@nestjs/common';
import { Housekeeping } from './housekeeping';
import { RateLimiter } from './rate-limit';

@Module({
  providers: [RateLimiter, Housekeeping],
  exports: [RateLimiter, Housekeeping],
})
export class CommonModule {}
