import {
  Inject,
  Injectable,
  NotFoundException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import {
  CreateWebhookDto,
  toDeliveryResponse,
  toWebhookResponse,
  UpdateWebhookDto,
  WebhookDeliveryResponse,
  WebhookResponse,
} from './dto/webhook.dto';
import { ReceiverGuard, receiverUrlProblem } from './receiver-guard';
import { newWebhookSecret } from './signature';
import { WebhooksRepository } from './webhooks.repository';

/** Admins' endpoints: registered only for receivers the guard allows. */
@Injectable()
export class WebhooksService {
  private readonly guard: ReceiverGuard;

  constructor(
    private readonly repository: WebhooksRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.guard = new ReceiverGuard(config.webhooks.allowedNetworks);
  }

  private async checkReceiver(raw: string): Promise<string> {
    const problem = receiverUrlProblem(raw);
    if (problem) {
      throw new UnprocessableEntityException(problem);
    }
    const url = new URL(raw);
    try {
      await this.guard.check(url);
    } catch (error) {
      throw new UnprocessableEntityException(
        `url refused: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return url.toString();
  }

  /** The secret is shown in this answer only. */
  async create(input: CreateWebhookDto): Promise<WebhookResponse & { secret: string }> {
    const url = await this.checkReceiver(input.url);
    const secret = newWebhookSecret();
    const row = await this.repository.create({
      url,
      events: input.events,
      secret,
      description: input.description?.trim() ?? '',
    });
    return { ...toWebhookResponse(row), secret };
  }

  async list(): Promise<WebhookResponse[]> {
    return (await this.repository.list()).map(toWebhookResponse);
  }

  async get(id: string): Promise<WebhookResponse> {
    const row = await this.repository.find(id);
    if (!row) {
      throw new NotFoundException('webhook not found');
    }
    return toWebhookResponse(row);
  }

  async update(id: string, input: UpdateWebhookDto): Promise<WebhookResponse> {
    const url = input.url === undefined ? undefined : await this.checkReceiver(input.url);
    const row = await this.repository.update(id, {
      url,
      events: input.events,
      description: input.description?.trim(),
      enable: input.status === 'active',
      disable: input.status === 'disabled',
    });
    if (!row) {
      throw new NotFoundException('webhook not found');
    }
    if (input.status === 'active') {
      await this.repository.wakeDispatchers();
    }
    return toWebhookResponse(row);
  }

  async remove(id: string): Promise<void> {
    if (!(await this.repository.remove(id))) {
      throw new NotFoundException('webhook not found');
    }
  }

  async deliveries(id: string): Promise<WebhookDeliveryResponse[]> {
    await this.get(id);
    return (await this.repository.deliveries(id, 100)).map(toDeliveryResponse);
  }
}
