import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
} from 'class-validator';
import { CommentEntity, CommentStatus } from '../../comments/comment.entity';
import { CommentNode, toCommentResponse } from '../../comments/dto/comment.dto';
import { ListQuery } from '../../common/list.dto';
import { Length, StorableText, Visible } from '../../common/validation';

/** The statuses a moderator moves comments between (deleting for good is DELETE). */
export const DECISIONS = ['pending', 'approved', 'spam', 'trash'] as const;
export type Decision = (typeof DECISIONS)[number];

export const QUEUE_VIEWS = [...DECISIONS, 'reported'] as const;
export type QueueView = (typeof QUEUE_VIEWS)[number];

/** The most comments one bulk call may decide; one transaction holds all their row locks. */
export const BULK_LIMIT = 1000;

export class QueueQuery extends ListQuery {
  @ApiPropertyOptional({ enum: QUEUE_VIEWS, default: 'pending' })
  @IsOptional()
  @IsIn(QUEUE_VIEWS)
  status: QueueView = 'pending';

  @ApiPropertyOptional({ description: 'only the comments of this article' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9-]{1,120}$/, { message: 'article must be an article slug' })
  article?: string;
}

export class DecideCommentDto {
  @ApiPropertyOptional({ enum: DECISIONS })
  @IsOptional()
  @IsIn(DECISIONS)
  status?: Decision;

  @ApiPropertyOptional({ maxLength: 500, description: 'why, kept in the audit trail' })
  @IsOptional()
  @IsString()
  @StorableText()
  @Length(1, 500)
  reason?: string;

  @ApiPropertyOptional({ description: 'list this top-level comment first in every sort' })
  @IsOptional()
  @IsBoolean()
  pinned?: boolean;

  @ApiPropertyOptional({ maxLength: 10000, description: 'new body (markdown subset)' })
  @IsOptional()
  @IsString()
  @StorableText()
  @Length(1, 10000)
  @Matches(/\S/, { message: 'body must not be blank' })
  body?: string;
}

export class BulkDecisionDto {
  @ApiProperty({ type: [String], maxItems: BULK_LIMIT })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(BULK_LIMIT)
  @IsUUID('all', { each: true, message: 'ids must be comment ids' })
  @Transform(({ value }: { value: unknown }) =>
    Array.isArray(value)
      ? value.map((v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v))
      : value,
  )
  ids: string[];

  @ApiProperty({ enum: DECISIONS })
  @IsIn(DECISIONS)
  status: Decision;
}

export class ReportDto {
  @ApiProperty({ minLength: 1, maxLength: 500 })
  @IsString()
  @StorableText()
  @Length(1, 500)
  @Matches(/\S/, { message: 'reason must not be blank' })
  @Visible({ message: 'reason must not be blank' })
  reason: string;
}

export interface ReportView {
  reason: string;
  at: string;
}

/** API.md's AdminComment: the public node plus what only moderators may see. */
export interface AdminComment extends Omit<CommentNode, 'status'> {
  status: CommentStatus;
  bodySource: string;
  authorEmail: string;
  ipHash: string | null;
  userAgent: string | null;
  articleSlug: string;
  reasons: string[];
  reports: ReportView[];
}

export function toAdminComment(
  comment: CommentEntity,
  articleSlug: string,
  reports: ReportView[],
): AdminComment {
  return {
    ...toCommentResponse(comment),
    // Moderators see what a placeholder hides from the public.
    authorName: comment.authorName,
    bodyHtml: comment.bodyHtml,
    editedAt: comment.editedAt?.toISOString() ?? null,
    status: comment.status,
    bodySource: comment.bodySource,
    authorEmail: comment.authorEmail,
    ipHash: comment.ipHash,
    userAgent: comment.userAgent,
    articleSlug,
    reasons: comment.reasons,
    reports,
  };
}
