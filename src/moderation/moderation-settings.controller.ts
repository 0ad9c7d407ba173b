import { Body, Controller, Get, Put, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminRequest } from '../auth/admin-auth.guard';
import { UpdateModerationSettingsDto } from './dto/moderation-settings.dto';
import { ModerationSettings } from './moderation-policy';
import { ModerationSettingsService } from './moderation-settings.service';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('api/admin/settings/moderation')
export class ModerationSettingsController {
  constructor(private readonly settings: ModerationSettingsService) {}

  @Get()
  get(): Promise<ModerationSettings> {
    return this.settings.current();
  }

  @Put()
  put(
    @Body() input: UpdateModerationSettingsDto,
    @Req() request: AdminRequest,
  ): Promise<ModerationSettings> {
    return this.settings.update(input, request.admin!.name);
  }
}
