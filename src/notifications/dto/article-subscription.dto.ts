import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { SubscriberEmail } from '../../subscriptions/dto/subscriber-email';

export const ARTICLE_SUBSCRIPTION_KINDS = ['followups', 'replies'] as const;
export type ArticleSubscriptionKind = (typeof ARTICLE_SUBSCRIPTION_KINDS)[number];

export class ArticleSubscriptionDto {
  @SubscriberEmail()
  email: string;

  @ApiProperty({
    enum: ARTICLE_SUBSCRIPTION_KINDS,
    description: 'followups: every new comment; replies: replies to your comments on the article',
  })
  @IsIn(ARTICLE_SUBSCRIPTION_KINDS)
  kind: ArticleSubscriptionKind;
}
