import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ArticleBlock } from '../articles/article.entity';
import { AnchorState, Quote } from '../comments/comment.entity';

export interface ExportArticle {
  id: string;
  slug: string;
  title: string;
  summary: string;
  author: string | null;
  body_source: string;
  blocks: ArticleBlock[];
  status: 'draft' | 'published';
  published_at: Date | null;
  created_at: Date;
  comments_open: boolean;
}

export interface ExportComment {
  id: string;
  parent_id: string | null;
  root_id: string;
  depth: number;
  author_name: string;
  author_email: string;
  body_source: string;
  body_html: string;
  original_html: string | null;
  status: string;
  pinned: boolean;
  up_count: number;
  down_count: number;
  anchor_block_id: string | null;
  anchor_quote: Quote | null;
  anchor_state: AnchorState | null;
  created_at: Date;
  edited_at: Date | null;
  approved_at: Date | null;
}

/** Pages through everything in stable keyset order, so an export never holds more than a page. */
@Injectable()
export class ExportRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Articles by id (primary key). */
  articlesAfter(id: string | null, limit: number): Promise<ExportArticle[]> {
    return this.dataSource.query(
      `SELECT id, slug, title, summary, author, body_source, blocks, status, published_at,
              created_at, comments_open
         FROM articles WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2`,
      [id, limit],
    );
  }

  /** One article's comments, parents before replies (depth first), oldest first within a depth. */
  commentsAfter(
    articleId: string,
    after: { depth: number; createdAt: Date; id: string } | null,
    limit: number,
  ): Promise<ExportComment[]> {
    return this.dataSource.query(
      `SELECT id, parent_id, root_id, depth, author_name, author_email, body_source, body_html,
              original_html, status, pinned, up_count, down_count, anchor_block_id, anchor_quote,
              anchor_state,
              created_at, edited_at, approved_at
         FROM comments
        WHERE article_id = $1
          AND ($2::int IS NULL OR (depth, created_at, id) > ($2, $3::timestamptz, $4::uuid))
        ORDER BY depth, created_at, id
        LIMIT $5`,
      [articleId, after?.depth ?? null, after?.createdAt ?? null, after?.id ?? null, limit],
    );
  }
}
