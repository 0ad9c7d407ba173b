import { Injectable, NotFoundException } from '@nestjs/common';
import { ArticlesRepository } from '../articles/articles.repository';
import { RateLimiter, RateRule } from '../common/rate-limit';
import { PRIMARY_READS } from '../database/read-context';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import { ArticleSubscriptionKind } from './dto/article-subscription.dto';

/** The consent wording of the API request (a client shows its own "Notify of" choice). */
export const ARTICLE_SUBSCRIPTION_CONSENT_VERSION = 'api-notify-2026-11';
/** The wording of the article page's "Subscribe to this discussion" box. */
export const FOLLOW_BOX_CONSENT_VERSION = 'follow-box-2026-12';

const PER_IP: RateRule = {
  name: 'notify:subscribe:ip',
  limit: 20,
  windowSeconds: 3600,
  per: 'network',
};
const PER_ADDRESS: RateRule = {
  name: 'notify:subscribe:address',
  limit: 5,
  windowSeconds: 3600,
  per: 'mailbox',
};

/** "Notify of" without a comment: the same double opt-in as the newsletter, per article. */
@Injectable()
export class ArticleSubscriptionsService {
  constructor(
    private readonly articles: ArticlesRepository,
    private readonly subscriptions: SubscriptionsService,
    private readonly limiter: RateLimiter,
  ) {}

  /** Answers nothing about the address; rate-limited per client and per target address. */
  async request(
    slug: string,
    input: { email: string; kind: ArticleSubscriptionKind },
    client: { ip: string | null; userAgent: string | null },
    origin: { source: string; textVersion: string } = {
      source: 'api',
      textVersion: ARTICLE_SUBSCRIPTION_CONSENT_VERSION,
    },
  ): Promise<void> {
    await this.limiter.consume([
      { rule: PER_IP, subject: client.ip },
      { rule: PER_ADDRESS, subject: input.email },
    ]);
    const article = await this.articles.findPublishedBySlug(PRIMARY_READS, slug);
    if (!article) {
      throw new NotFoundException('article not found');
    }
    await this.subscriptions.request({
      kind: input.kind,
      email: input.email,
      articleId: article.id,
      consent: {
        ip: client.ip,
        userAgent: client.userAgent,
        ...origin,
      },
    });
  }
}
