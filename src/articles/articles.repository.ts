import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository, SelectQueryBuilder } from 'typeorm';
import { cursorTimeSql } from '../common/cursor';
import { inTransaction } from '../database/transactions';
import { ReadContext } from '../database/read-context';
import { ReadReplica } from '../database/read-replica';
import { ArticleEntity } from './article.entity';

/** A listed article with the exact text of the timestamp its list is ordered by. */
export interface KeyedArticle {
  article: ArticleEntity;
  cursorTime: string;
}

async function keyed(query: SelectQueryBuilder<ArticleEntity>): Promise<KeyedArticle[]> {
  const { entities, raw } = await query.getRawAndEntities<{ cursor_time: string }>();
  return entities.map((article, i) => ({ article, cursorTime: raw[i].cursor_time }));
}

@Injectable()
export class ArticlesRepository {
  constructor(
    @InjectRepository(ArticleEntity) private readonly articles: Repository<ArticleEntity>,
    private readonly replica: ReadReplica,
  ) {}

  /** Public read: served by the replica when `reads` allow it (see ReadReplica). */
  findPublishedBySlug(reads: ReadContext, slug: string): Promise<ArticleEntity | null> {
    return this.replica.publicRead(reads, (db) =>
      db.getRepository(ArticleEntity).findOneBy({ slug, status: 'published' }),
    );
  }

  /**
   * What changes between two reads of a published article without a save: its counters, and the
   * version (updated_at, bumped by every save) that says whether a prepared copy is still current.
   */
  async findPublishedCounters(
    reads: ReadContext,
    slug: string,
  ): Promise<{
    id: string;
    version: string;
    commentCount: number;
    inlineCounts: Record<string, number>;
  } | null> {
    const rows: {
      id: string;
      version: string;
      comment_count: number;
      inline_counts: Record<string, number>;
    }[] = await this.replica.publicRead(reads, (db) =>
      db.query(
        `SELECT id, updated_at::text AS version, article_comment_count(id) AS comment_count,
           article_inline_counts(id) AS inline_counts FROM articles
           WHERE slug = $1 AND status = 'published'`,
        [slug],
      ),
    );
    const row = rows[0];
    return row
      ? {
          id: row.id,
          version: row.version,
          commentCount: row.comment_count,
          inlineCounts: row.inline_counts,
        }
      : null;
  }

  /** A published article with its version (see findPublishedCounters). */
  async findPublishedWithVersion(
    reads: ReadContext,
    slug: string,
  ): Promise<{ article: ArticleEntity; version: string } | null> {
    const { entities, raw } = await this.replica.publicRead(reads, (db) =>
      db
        .getRepository(ArticleEntity)
        .createQueryBuilder('a')
        .addSelect('a.updated_at::text', 'version')
        .where("a.slug = :slug AND a.status = 'published'", { slug })
        .getRawAndEntities<{ version: string }>(),
    );
    return entities[0] ? { article: entities[0], version: raw[0].version } : null;
  }

  findPublishedById(id: string): Promise<ArticleEntity | null> {
    return this.articles.findOneBy({ id, status: 'published' });
  }

  findBySlug(slug: string, manager?: EntityManager): Promise<ArticleEntity | null> {
    return (manager?.getRepository(ArticleEntity) ?? this.articles).findOneBy({ slug });
  }

  findNewestPublished(reads: ReadContext): Promise<ArticleEntity | null> {
    return this.replica.publicRead(reads, (db) =>
      db.getRepository(ArticleEntity).findOne({
        where: { status: 'published' },
        order: { publishedAt: 'DESC', id: 'DESC' },
      }),
    );
  }

  /** One page of published articles, newest first; uses articles_published_idx. Public read. */
  findPublishedPage(
    reads: ReadContext,
    limit: number,
    after?: { publishedAt: string; id: string },
  ): Promise<KeyedArticle[]> {
    return this.replica.publicRead(reads, (db) => {
      const query = db
        .getRepository(ArticleEntity)
        .createQueryBuilder('a')
        .addSelect(cursorTimeSql('a.published_at'), 'cursor_time')
        .where("a.status = 'published'")
        .orderBy('a.published_at', 'DESC')
        .addOrderBy('a.id', 'DESC')
        .limit(limit + 1);
      if (after) {
        query.andWhere('(a.published_at, a.id) < (:publishedAt::timestamptz, :id::uuid)', after);
      }
      return keyed(query);
    });
  }

  /** Every article, drafts included, newest first, for editors. */
  findAllPage(limit: number, after?: { createdAt: string; id: string }): Promise<KeyedArticle[]> {
    const query = this.articles
      .createQueryBuilder('a')
      .addSelect(cursorTimeSql('a.created_at'), 'cursor_time')
      .orderBy('a.created_at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(limit + 1);
    if (after) {
      query.andWhere('(a.created_at, a.id) < (:createdAt::timestamptz, :id::uuid)', after);
    }
    return keyed(query);
  }

  count(): Promise<number> {
    return this.articles.count();
  }

  /** Inserts unless the slug is taken; returns whether it did (safe when instances race). */
  async insertIfSlugFree(article: Partial<ArticleEntity>): Promise<boolean> {
    const result = await this.articles
      .createQueryBuilder()
      .insert()
      .values(article)
      .orIgnore()
      .execute();
    return (result.identifiers?.filter(Boolean).length ?? 0) > 0;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return inTransaction(this.articles.manager.dataSource, work);
  }
}
