import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  CreateWebhookDto,
  UpdateWebhookDto,
  WebhookDeliveryResponse,
  WebhookResponse,
} from './dto/webhook.dto';
import { WebhooksService } from './webhooks.service';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('api/admin/webhooks')
export class AdminWebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  /** 201 with the signing secret, shown this once. */
  @Post()
  create(@Body() body: CreateWebhookDto): Promise<WebhookResponse & { secret: string }> {
    return this.webhooks.create(body);
  }

  @Get()
  async list(): Promise<{ items: WebhookResponse[]; nextCursor: null }> {
    return { items: await this.webhooks.list(), nextCursor: null };
  }

  @Get(':id')
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<WebhookResponse> {
    return this.webhooks.get(id);
  }

  /** `{status: "active"}` re-enables a disabled endpoint; what waited is delivered then. */
  @Patch(':id')
  update(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: UpdateWebhookDto,
  ): Promise<WebhookResponse> {
    return this.webhooks.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    return this.webhooks.remove(id);
  }

  /** The newest 100 deliveries, with attempts and the last error. */
  @Get(':id/deliveries')
  async deliveries(
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<{ items: WebhookDeliveryResponse[]; nextCursor: null }> {
    return { items: await this.webhooks.deliveries(id), nextCursor: null };
  }
}
