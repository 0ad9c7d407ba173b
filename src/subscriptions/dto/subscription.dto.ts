import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { ListQuery } from '../../common/list.dto';
import { SubscriptionKind } from '../../mail/mail-templates';
import { SubscriptionEntity, SubscriptionStatus } from '../subscription.entity';

export const SUBSCRIPTION_KINDS: SubscriptionKind[] = ['newsletter', 'followups', 'replies'];
export const SUBSCRIPTION_STATUSES: SubscriptionStatus[] = [
  'pending',
  'confirmed',
  'unsubscribed',
  'bounced',
];

/** A 256-bit base64url token (43 characters); anything else cannot be one of ours. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function looksLikeToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN_PATTERN.test(value);
}

export class TokenDto {
  @ApiProperty({ description: 'the token from the link in the email' })
  @IsString()
  @Matches(TOKEN_PATTERN, { message: 'token is not valid' })
  token: string;
}

export class SubscriberListQuery extends ListQuery {
  @ApiPropertyOptional({ enum: SUBSCRIPTION_KINDS })
  @IsOptional()
  @IsIn(SUBSCRIPTION_KINDS)
  kind?: SubscriptionKind;

  @ApiPropertyOptional({ enum: SUBSCRIPTION_STATUSES })
  @IsOptional()
  @IsIn(SUBSCRIPTION_STATUSES)
  status?: SubscriptionStatus;
}

export interface SubscriptionResponse {
  id: string;
  email: string;
  kind: SubscriptionKind;
  status: SubscriptionStatus;
  articleSlug: string | null;
  createdAt: string;
  confirmedAt: string | null;
  unsubscribedAt: string | null;
  consent: {
    at: string;
    ip: string | null;
    userAgent: string | null;
    source: string;
    textVersion: string;
    confirmedIp: string | null;
    confirmedUserAgent: string | null;
  };
}

export function toSubscriptionResponse(
  row: SubscriptionEntity,
  articleSlug: string | null,
): SubscriptionResponse {
  return {
    id: row.id,
    email: row.email,
    kind: row.kind,
    status: row.status,
    articleSlug,
    createdAt: row.createdAt.toISOString(),
    confirmedAt: row.confirmedAt ? row.confirmedAt.toISOString() : null,
    unsubscribedAt: row.unsubscribedAt ? row.unsubscribedAt.toISOString() : null,
    consent: {
      at: row.consentAt.toISOString(),
      ip: row.consentIp,
      userAgent: row.consentUserAgent,
      source: row.consentSource,
      textVersion: row.consentTextVersion,
      confirmedIp: row.confirmIp,
      confirmedUserAgent: row.confirmUserAgent,
    },
  };
}
