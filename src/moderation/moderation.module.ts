import { Module } from '@nestjs/common';
import { AuditLog } from './audit-log';
import { ModerationSettingsController } from './moderation-settings.controller';
import { ModerationSettingsService } from './moderation-settings.service';

@Module({
  controllers: [ModerationSettingsController],
  providers: [ModerationSettingsService, AuditLog],
})
export class ModerationModule {}
