import { Module } from '@nestjs/common';
import { RateLimiter } from './rate-limit';

@Module({
  providers: [RateLimiter],
  exports: [RateLimiter],
})
export class CommonModule {}
