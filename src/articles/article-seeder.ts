import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { renderBlocks, slugify, summarize } from './article-blocks';
import { ArticlesRepository } from './articles.repository';
import { loadSeedArticle } from './seed-article';

/** Puts the demo article into an empty database (SEED=off skips it). */
@Injectable()
export class ArticleSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger('Seed');

  constructor(
    private readonly articles: ArticlesRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.seed || (await this.articles.count()) > 0) {
      return;
    }
    const seed = loadSeedArticle();
    const blocks = renderBlocks(seed.body);
    const slug = slugify(seed.title);
    const inserted = await this.articles.insertIfSlugFree({
      slug,
      title: seed.title,
      summary: summarize(blocks),
      author: null,
      bodySource: seed.body,
      blocks,
      status: 'published',
      publishedAt: new Date(),
      commentsOpen: true,
    });
    if (inserted) {
      this.logger.log(`seeded the demo article /articles/${slug}`);
    }
  }
}
