import { EmailCounts } from '../../mail/dto/email.dto';
import { NewsletterIssueEntity } from '../newsletter-issue.entity';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { Equals, IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { Length, SingleLine, StorableText, Visible } from '../../common/validation';
import { SubscriberEmail } from '../../subscriptions/dto/subscriber-email';

export const SIGNUP_SOURCES = ['api', 'newsletter-box', 'newsletter-form'] as const;
export type SignupSource = (typeof SIGNUP_SOURCES)[number];

export class NewsletterSignupDto {
  @SubscriberEmail()
  email: string;

  @ApiPropertyOptional({ maxLength: 80, description: 'kept for the admin; never put into a mail' })
  @IsOptional()
  @IsString()
  @SingleLine()
  @Length(1, 80)
  @Visible()
  name?: string;

  @ApiProperty({ enum: [true], description: 'the reader agreed to receive the newsletter' })
  @Equals(true, { message: 'consent must be true' })
  consent: true;

  @ApiPropertyOptional({ enum: SIGNUP_SOURCES, description: 'where the signup came from' })
  @IsOptional()
  @IsIn(SIGNUP_SOURCES)
  source?: SignupSource;
}

/** The same signup as a plain form post from the reader page (works without JavaScript). */
export class NewsletterFormDto {
  @SubscriberEmail()
  email: string;

  @Transform(({ value }) => value === 'true' || value === 'on')
  @Equals(true, { message: 'please tick the consent box' })
  consent: boolean;
}

export class NewsletterIssueDto {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @SingleLine()
  @Length(1, 200)
  subject: string;

  @ApiPropertyOptional({ description: 'markdown; either body or articleSlug', maxLength: 100000 })
  @IsOptional()
  @IsString()
  @StorableText()
  @Length(1, 100000)
  body?: string;

  @ApiPropertyOptional({ description: 'a published article: its title, summary and link' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9]+(-[a-z0-9]+)*$/, { message: 'articleSlug is not a slug' })
  @Length(1, 120)
  articleSlug?: string;
}

export interface NewsletterIssueResponse {
  id: string;
  recipients: number;
}

/** An issue with its mails counted by status (ambiguous ones may need a retry). */
export interface NewsletterIssueDetail {
  id: string;
  subject: string;
  recipients: number;
  createdBy: string | null;
  createdAt: string;
  queuedAt: string | null;
  emails: EmailCounts;
}

export function toNewsletterIssueDetail(
  issue: NewsletterIssueEntity,
  emails: EmailCounts,
): NewsletterIssueDetail {
  return {
    id: issue.id,
    subject: issue.subject,
    recipients: issue.recipients,
    createdBy: issue.createdBy,
    createdAt: issue.createdAt.toISOString(),
    queuedAt: issue.queuedAt?.toISOString() ?? null,
    emails,
  };
}
