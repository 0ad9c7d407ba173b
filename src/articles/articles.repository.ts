import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository, SelectQueryBuilder } from 'typeorm';
import { cursorTimeSql } from '../common/cursor';
import { inTransaction } from '../database/transactions';
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
    private readonly reads: ReadReplica,
  ) {}

  /** Public read: served by the replica inside a public GET (see ReadReplica). */
  findPublishedBySlug(slug: string): Promise<ArticleEntity | null> {
    return this.reads.publicRead((db) =>
      db.getRepository(ArticleEntity).findOneBy({ slug, status: 'published' }),
    );
  }

  findPublishedById(id: string): Promise<ArticleEntity | null> {
    return this.articles.findOneBy({ id, status: 'published' });
  }

  findBySlug(slug: string, manager?: EntityManager): Promise<ArticleEntity | null> {
    return (manager?.getRepository(ArticleEntity) ?? this.articles).findOneBy({ slug });
  }

  findNewestPublished(): Promise<ArticleEntity | null> {
    return this.reads.publicRead((db) =>
      db.getRepository(ArticleEntity).findOne({
        where: { status: 'published' },
        order: { publishedAt: 'DESC', id: 'DESC' },
      }),
    );
  }

  /** One page of published articles, newest first; uses articles_published_idx. Public read. */
  findPublishedPage(
    limit: number,
    after?: { publishedAt: string; id: string },
  ): Promise<KeyedArticle[]> {
    return this.reads.publicRead((db) => {
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
