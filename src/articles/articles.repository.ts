import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { ArticleEntity } from './article.entity';

@Injectable()
export class ArticlesRepository {
  constructor(
    @InjectRepository(ArticleEntity) private readonly articles: Repository<ArticleEntity>,
  ) {}

  findPublishedBySlug(slug: string): Promise<ArticleEntity | null> {
    return this.articles.findOneBy({ slug, status: 'published' });
  }

  findPublishedById(id: string): Promise<ArticleEntity | null> {
    return this.articles.findOneBy({ id, status: 'published' });
  }

  findBySlug(slug: string, manager?: EntityManager): Promise<ArticleEntity | null> {
    return (manager?.getRepository(ArticleEntity) ?? this.articles).findOneBy({ slug });
  }

  findNewestPublished(): Promise<ArticleEntity | null> {
    return this.articles.findOne({
      where: { status: 'published' },
      order: { publishedAt: 'DESC', id: 'DESC' },
    });
  }

  /** One page of published articles, newest first; uses articles_published_idx. */
  findPublishedPage(limit: number, after?: { publishedAt: string; id: string }) {
    const query = this.articles
      .createQueryBuilder('a')
      .where("a.status = 'published'")
      .orderBy('a.published_at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(limit + 1);
    if (after) {
      query.andWhere('(a.published_at, a.id) < (:publishedAt, :id)', after);
    }
    return query.getMany();
  }

  /** Every article, drafts included, newest first, for editors. */
  findAllPage(limit: number, after?: { createdAt: string; id: string }) {
    const query = this.articles
      .createQueryBuilder('a')
      .orderBy('a.created_at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(limit + 1);
    if (after) {
      query.andWhere('(a.created_at, a.id) < (:createdAt, :id)', after);
    }
    return query.getMany();
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
    return this.articles.manager.transaction(work);
  }
}
