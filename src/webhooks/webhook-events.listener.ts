import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { CommentArrivals } from '../comments/comment-arrivals';
import { CommentStatusChangedInTx } from '../comments/comment.events';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SubscriptionConfirmedInTx } from '../subscriptions/subscription.events';
import { WebhookEventType } from './webhook-events';
import { WebhooksRepository } from './webhooks.repository';

/** The arrival events that start a delivery: a webhook wanting none of them costs posting nothing. */
const ARRIVAL_EVENTS: WebhookEventType[] = ['comment.created', 'comment.published', 'comment.held'];

/**
 * The webhook events of one status change. A new comment arrives once (`previous` null) in its
 * final status: published at once, or held.
 */
export function commentEvents(previous: string | null, status: string): WebhookEventType[] {
  if (previous === null) {
    return status === 'approved'
      ? ['comment.created', 'comment.published']
      : status === 'pending'
        ? ['comment.created', 'comment.held']
        : ['comment.created'];
  }
  const events: WebhookEventType[] = [];
  if (status === 'approved') {
    events.push('comment.published');
  }
  if (previous === 'approved' && status !== 'approved') {
    events.push('comment.withdrawn');
  }
  if (status === 'pending') {
    events.push('comment.held');
  }
  return events;
}

/**
 * Turns domain events into webhook deliveries inside the transaction that caused them, so a
 * delivery exists exactly when the change commits (the outbox pattern, as for mail).
 */
@Injectable()
export class WebhookEventsListener implements OnModuleInit {
  constructor(
    private readonly repository: WebhooksRepository,
    private readonly arrivals: CommentArrivals,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.arrivals.register({
      name: 'webhooks',
      probe: `EXISTS (SELECT 1 FROM webhook_endpoints WHERE status = 'active'
                AND events && '{${ARRIVAL_EVENTS.join(',')}}'::text[])`,
      wants: (_comment, wanted) => wanted,
    });
  }

  @OnEvent(CommentStatusChangedInTx.event, { suppressErrors: false })
  async onComment(event: CommentStatusChangedInTx): Promise<void> {
    const { comment, manager } = event;
    const types = commentEvents(event.previousStatus, comment.status);
    if (types.length === 0 || !(await this.repository.anyWants(manager, types))) {
      return;
    }
    const articles: { slug: string; title: string }[] = await manager.query(
      'SELECT slug, title FROM articles WHERE id = $1',
      [comment.articleId],
    );
    const article = articles[0];
    const data = {
      comment: {
        id: comment.id,
        articleId: comment.articleId,
        articleSlug: article?.slug ?? null,
        articleTitle: article?.title ?? null,
        parentId: comment.parentId,
        status: comment.status === 'deleted' ? 'deleted' : comment.status,
        previousStatus: event.previousStatus,
        authorName: comment.authorName,
        bodyHtml: comment.bodyHtml,
        createdAt: comment.createdAt.toISOString(),
        url: article
          ? `${this.config.publicUrl}/articles/${article.slug}#comment-${comment.id}`
          : null,
      },
    };
    for (const type of types) {
      await this.enqueue(manager, type, data);
    }
  }

  @OnEvent(SubscriptionConfirmedInTx.event, { suppressErrors: false })
  async onSubscriptionConfirmed(event: SubscriptionConfirmedInTx): Promise<void> {
    const { subscription, manager } = event;
    if (!(await this.repository.anyWants(manager, ['subscription.confirmed']))) {
      return;
    }
    const slugs: { slug: string }[] = subscription.articleId
      ? await manager.query('SELECT slug FROM articles WHERE id = $1', [subscription.articleId])
      : [];
    await this.enqueue(manager, 'subscription.confirmed', {
      subscription: {
        id: subscription.id,
        kind: subscription.kind,
        email: subscription.email,
        articleSlug: slugs[0]?.slug ?? null,
        confirmedAt: subscription.confirmedAt.toISOString(),
      },
    });
  }

  private async enqueue(
    manager: CommentStatusChangedInTx['manager'],
    type: WebhookEventType,
    data: unknown,
  ): Promise<void> {
    const id = `evt_${randomUUID().replace(/-/g, '')}`;
    await this.repository.enqueue(manager, id, type, {
      id,
      type,
      timestamp: new Date().toISOString(),
      data,
    });
  }
}
