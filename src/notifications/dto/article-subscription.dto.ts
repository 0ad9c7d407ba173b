import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsIn, IsString, Validate } from 'class-validator';
import { Length } from '../../common/validation';
import { isDeliverableAddress } from '../../mail/email-address';

export const ARTICLE_SUBSCRIPTION_KINDS = ['followups', 'replies'] as const;
export type ArticleSubscriptionKind = (typeof ARTICLE_SUBSCRIPTION_KINDS)[number];

class DeliverableAddress {
  validate(value: unknown): boolean {
    return typeof value === 'string' && isDeliverableAddress(value.trim());
  }
  defaultMessage(): string {
    return 'email must be a single plain email address';
  }
}

export class ArticleSubscriptionDto {
  @ApiProperty({ maxLength: 254, example: 'reader@example.com' })
  @IsString()
  @Length(3, 254)
  @IsEmail({}, { message: 'email must be an email address' })
  @Validate(DeliverableAddress)
  email: string;

  @ApiProperty({
    enum: ARTICLE_SUBSCRIPTION_KINDS,
    description: 'followups: every new comment; replies: replies to your comments on the article',
  })
  @IsIn(ARTICLE_SUBSCRIPTION_KINDS)
  kind: ArticleSubscriptionKind;
}
