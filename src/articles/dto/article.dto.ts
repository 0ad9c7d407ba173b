import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { Length, SingleLine, StorableText } from '../../common/validation';
import { ArticleEntity, ArticleStatus } from '../article.entity';

export class CreateArticleDto {
  @ApiProperty({ maxLength: 300 })
  @IsString()
  @SingleLine()
  @Length(1, 300)
  title: string;

  @ApiPropertyOptional({
    description: 'lower-case words joined by "-"; derived from the title when absent',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9]+(-[a-z0-9]+)*$/, { message: 'slug must be lower-case words joined by "-"' })
  @Length(1, 120)
  slug?: string;

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional()
  @IsString()
  @SingleLine()
  @Length(0, 1000)
  summary?: string;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @SingleLine()
  @Length(0, 200)
  author?: string;

  @ApiProperty({ description: 'markdown; a blank line between paragraphs', maxLength: 200000 })
  @IsString()
  @StorableText()
  @Length(1, 200000)
  body: string;

  @ApiPropertyOptional({ enum: ['draft', 'published'] })
  @IsOptional()
  @IsIn(['draft', 'published'])
  status?: ArticleStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  commentsOpen?: boolean;
}

export class UpdateArticleDto {
  @ApiPropertyOptional({ maxLength: 300 })
  @IsOptional()
  @IsString()
  @SingleLine()
  @Length(1, 300)
  title?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9]+(-[a-z0-9]+)*$/, { message: 'slug must be lower-case words joined by "-"' })
  @Length(1, 120)
  slug?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @SingleLine()
  @Length(0, 1000)
  summary?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @SingleLine()
  @Length(0, 200)
  author?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @StorableText()
  @Length(1, 200000)
  body?: string;

  @ApiPropertyOptional({ enum: ['draft', 'published'] })
  @IsOptional()
  @IsIn(['draft', 'published'])
  status?: ArticleStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  commentsOpen?: boolean;
}

export interface BlockResponse {
  id: string;
  type: string;
  html: string;
  text: string;
  inlineCount: number;
}

export interface ArticleSummaryResponse {
  id: string;
  slug: string;
  title: string;
  summary: string;
  author: string | null;
  status: ArticleStatus;
  publishedAt: string | null;
  updatedAt: string;
  commentsOpen: boolean;
  commentCount: number;
}

export interface ArticleResponse extends ArticleSummaryResponse {
  blocks: BlockResponse[];
}

export function toArticleSummary(article: ArticleEntity): ArticleSummaryResponse {
  return {
    id: article.id,
    slug: article.slug,
    title: article.title,
    summary: article.summary,
    author: article.author,
    status: article.status,
    publishedAt: article.publishedAt?.toISOString() ?? null,
    updatedAt: article.updatedAt.toISOString(),
    commentsOpen: article.commentsOpen,
    commentCount: article.commentCount,
  };
}

export function toArticleResponse(article: ArticleEntity): ArticleResponse {
  return {
    ...toArticleSummary(article),
    blocks: article.blocks.map((b) => ({
      id: b.id,
      type: b.type,
      html: b.html,
      text: b.text,
      inlineCount: article.inlineCounts[b.id] ?? 0,
    })),
  };
}
